package main

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// probeReserve is the number of connections kept, above the general cap,
// for the health probes: while the cap is reached (by one client or by
// all), /healthz and /readyz still answer, so an orchestrator does not kill
// a server that is only busy.
const probeReserve = 16

// reservePerIP is how many reserve slots one client address may hold (when
// the per-IP cap is on), so that one client cannot take the whole reserve
// with connections that never send a request.
const reservePerIP = 2

// connLimiter caps the connections a listener hands to the HTTP server, so
// that idle keep-alive connections cannot exhaust the process's open files
// and make the server unreachable.
//
//   - At most max connections in general, and at most perIP from one client
//     address (0 = no per-IP cap; behind a reverse proxy every connection
//     comes from the proxy, so the per-IP cap is then off).
//   - A connection over either cap takes one of probeReserve reserve slots
//     (at most reservePerIP per client address while the per-IP cap is on).
//     On a reserve connection only /healthz and /readyz are served; any
//     other request gets a 503, and the connection closes after one answer.
//   - With the reserve full too, a new connection is closed at once.
//
// The caps count connections, not requests: the rate limits do that.
type connLimiter struct {
	net.Listener
	max, perIP, reserve int

	mu       sync.Mutex
	total    int            // connections under the general cap
	reserved int            // reserve connections
	byIP     map[string]int // connections under the general cap, per client address
	rsvByIP  map[string]int // reserve connections, per client address
}

func newConnLimiter(ln net.Listener, max, perIP int) *connLimiter {
	return &connLimiter{Listener: ln, max: max, perIP: perIP, reserve: probeReserve,
		byIP: map[string]int{}, rsvByIP: map[string]int{}}
}

// Accept hands out the next connection within the caps; connections beyond
// them are closed here, unseen by the HTTP server.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		l.mu.Lock()
		switch {
		case l.total < l.max && (l.perIP <= 0 || l.byIP[ip] < l.perIP):
			l.total++
			l.byIP[ip]++
			l.mu.Unlock()
			return &limitedConn{Conn: c, release: func() { l.releaseGeneral(ip) }}, nil
		case l.reserved < l.reserve && (l.perIP <= 0 || l.rsvByIP[ip] < reservePerIP):
			l.reserved++
			l.rsvByIP[ip]++
			l.mu.Unlock()
			return &limitedConn{Conn: c, reserve: true, release: func() { l.releaseReserve(ip) }}, nil
		}
		l.mu.Unlock()
		_ = c.Close()
	}
}

func (l *connLimiter) releaseGeneral(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

func (l *connLimiter) releaseReserve(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reserved--
	if l.rsvByIP[ip]--; l.rsvByIP[ip] <= 0 {
		delete(l.rsvByIP, ip)
	}
}

func clientIP(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// limitedConn gives its slot back when it closes, once.
type limitedConn struct {
	net.Conn
	reserve bool
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

type reserveKey struct{}

// markReserve is the server's ConnContext: requests on a reserve connection
// carry the mark that probesOnly reads.
func markReserve(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok && lc.reserve {
		return context.WithValue(ctx, reserveKey{}, true)
	}
	return ctx
}

// probesOnly serves only the health probes on reserve connections, and
// closes each such connection after its answer.
func probesOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(reserveKey{}) == nil {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type":"urn:essdir:problem:unavailable","title":"Service Unavailable","status":503,` +
			`"detail":"the server has too many connections open, or too many from this address; retry later"}`))
	})
}
