package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeListener hands out in-memory connections from chosen addresses.
type fakeListener struct{ conns chan net.Conn }

func (f *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-f.conns:
		return c, nil
	default:
		return nil, errors.New("no more connections")
	}
}
func (f *fakeListener) Close() error   { return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

type addrConn struct {
	net.Conn
	remote net.Addr
	closed bool
}

func (c *addrConn) RemoteAddr() net.Addr { return c.remote }
func (c *addrConn) Close() error         { c.closed = true; return c.Conn.Close() }

func (f *fakeListener) dial(ip string) *addrConn {
	a, _ := net.Pipe()
	c := &addrConn{Conn: a, remote: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
	f.conns <- c
	return c
}

// TestConnLimiter: per-address and total caps, the probe reserve above
// them, and connections closed at once beyond it; a closed connection gives
// its slot back.
func TestConnLimiter(t *testing.T) {
	f := &fakeListener{conns: make(chan net.Conn, 16)}
	l := newConnLimiter(f, 3, 2)
	l.reserve = 2
	accept := func(ip string) (*limitedConn, *addrConn) {
		t.Helper()
		raw := f.dial(ip)
		c, err := l.Accept()
		if err != nil {
			return nil, raw
		}
		return c.(*limitedConn), raw
	}
	a1, _ := accept("192.0.2.1")
	a2, _ := accept("192.0.2.1")
	a3, _ := accept("192.0.2.1") // over the per-address cap: reserve
	b1, _ := accept("198.51.100.7")
	c1, _ := accept("203.0.113.5") // over the total cap: reserve
	if a1 == nil || a2 == nil || b1 == nil || a1.reserve || a2.reserve || b1.reserve {
		t.Fatal("connections within the caps were not served in general")
	}
	if a3 == nil || !a3.reserve || c1 == nil || !c1.reserve {
		t.Fatal("connections over a cap did not get the probe reserve")
	}
	if d, raw := accept("203.0.113.9"); d != nil || !raw.closed {
		t.Fatal("a connection beyond the reserve was not closed at once")
	}
	l.reserve = 4
	if a4, _ := accept("192.0.2.1"); a4 == nil || !a4.reserve {
		t.Fatal("a second reserve slot was refused")
	}
	if d, raw := accept("192.0.2.1"); d != nil || !raw.closed {
		t.Fatal("one address took more than its share of the reserve")
	}
	l.reserve = 3
	a1.Close()
	a1.Close() // a second Close gives nothing back twice
	if c, _ := accept("192.0.2.1"); c == nil || c.reserve {
		t.Fatal("a freed slot was not given back")
	}
	if d, _ := accept("203.0.113.9"); d != nil {
		t.Fatal("a slot was given back twice")
	}
	c1.Close()
	if c, _ := accept("203.0.113.9"); c == nil || !c.reserve {
		t.Fatal("a freed reserve slot was not given back")
	}
}

// startServe runs essdir serve on loopback until the test ends.
func startServe(t *testing.T, extra map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	extra["ESSDIR_DRAIN_DELAY"] = "0s"
	go func() { done <- run(ctx, []string{"serve"}, testEnv(extra), nil, io.Discard, logs) }()
	t.Cleanup(func() { cancel(); <-done })
	addrRe := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("the server did not start:\n%s", logs.String())
	return ""
}

// get sends one request on a new connection.
func get(addr, path string) (*http.Response, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + addr + path)
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return res, err
}

// TestIdleConnectionsLeaveProbes: one client holding its share of idle
// keep-alive connections gets no more service, yet /healthz still answers
// from the reserve, and beyond the reserve new connections are refused.
func TestIdleConnectionsLeaveProbes(t *testing.T) {
	addr := startServe(t, map[string]string{"ESSDIR_MAX_CONNS": "100", "ESSDIR_MAX_CONNS_PER_IP": "4"})
	var idle []net.Conn
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	for range 4 { // keep-alive connections that made one request and stay open
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("keep-alive request: %v %v", res, err)
		}
		res.Body.Close()
	}
	res, err := get(addr, "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz over the per-address cap: %v %v", res, err)
	}
	res, err = get(addr, "/v1/structures")
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("/v1/structures over the per-address cap: %v %v", res, err)
	}
	// Idle connections that fill this address's reserve. The slot of the
	// 503 above is released when the server has closed that connection,
	// which may be just after its answer was read: a connection dialled
	// before that is closed at once (the reserve still full), and is
	// dialled again. A connection held gives no byte and no end within
	// 100 ms.
	for held, deadline := 0, time.Now().Add(3*time.Second); held < reservePerIP; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the address's %d reserve connections held", held, reservePerIP)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			c.Close()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		_ = c.SetReadDeadline(time.Time{})
		idle = append(idle, c)
		held++
	}
	refused := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !refused; time.Sleep(20 * time.Millisecond) {
		_, err := get(addr, "/healthz")
		refused = err != nil && !strings.Contains(err.Error(), "Timeout")
	}
	if !refused {
		t.Fatal("a connection beyond the address's reserve was served")
	}
	for _, c := range idle {
		c.Close()
	}
	idle = nil
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := get(addr, "/v1/structures")
		if err == nil && res.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not come back once the connections closed: %v %v", res, err)
		}
	}
}
