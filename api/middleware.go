package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

const (
	ctxRequest   = "essdir.request"
	ctxPrincipal = "essdir.principal"
)

// requestID gives every request an id: the caller's X-Request-Id when it
// looks like one (so a trace crosses a proxy), else a new one. The id is
// echoed in the response and carried by every log line of the request (the
// request's logger is made only when a line is written: loggerFrom).
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header()[echo.HeaderXRequestID] = []string{id}
		c.Set(ctxRequest, &requestInfo{id: id, base: s.log})
		return next(c)
	}
}

// validRequestID accepts ^[A-Za-z0-9._-]{8,64}$, without a regexp (it runs
// on every request).
func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// requestInfo is what requestID keeps for the request's log lines.
type requestInfo struct {
	id     string
	base   *slog.Logger
	logger *slog.Logger // base with the id, made on first use
}

// Content security policies: JSON answers load nothing and are framed by no
// one; the Swagger UI needs its own inline script and styles.
const (
	cspAPI     = "default-src 'none'; frame-ancestors 'none'"
	cspSwagger = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)

// The security headers' values, shared by every response (securityHeaders).
var (
	nosniff          = []string{"nosniff"}
	frameDeny        = []string{"DENY"}
	cspAPIHeader     = []string{cspAPI}
	cspSwaggerHeader = []string{cspSwagger}
)

// securityHeaders marks every answer, errors included, so that a browser
// never sniffs a JSON body into HTML nor frames a page of the server.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		// Assigned under canonical keys, what Header.Set does without its
		// canonicalization, and shared by every response rather than made
		// for each: net/http only reads them, and Header.Add or Set gives a
		// key a slice of its own (a one-element slice is full: append copies).
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = frameDeny
		csp := cspAPIHeader
		if p := c.Request().URL.Path; p == "/swagger" || strings.HasPrefix(p, "/swagger/") {
			csp = cspSwaggerHeader
		}
		h["Content-Security-Policy"] = csp
		return next(c)
	}
}

func loggerFrom(c echo.Context) *slog.Logger {
	if r, ok := c.Get(ctxRequest).(*requestInfo); ok {
		if r.logger == nil {
			r.logger = r.base.With(slog.String("request_id", r.id))
		}
		return r.logger
	}
	return slog.Default()
}

// metrics are the Prometheus series of the HTTP layer.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "essdir_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "essdir_http_request_duration_seconds", Help: "HTTP request latency by route template, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe writes one access-log line and the metrics of each request. It
// answers errors itself (through the error handler) so that the status it
// records is the one the client got.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		status := c.Response().Status
		route := c.Path()
		if route == "" || (status == http.StatusNotFound && strings.HasSuffix(route, "*") && route != "/swagger/*") {
			route = "unmatched"
		}
		method := methodLabel(methodOf(c))
		s.metrics.requests.WithLabelValues(method, route, statusLabel(status)).Inc()
		s.metrics.duration.WithLabelValues(method, route, statusLabel(status)).Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		ctx := c.Request().Context()
		if !s.log.Enabled(ctx, level) { // the line's attributes cost allocations
			return nil
		}
		loggerFrom(c).LogAttrs(ctx, level, "request",
			slog.String("method", methodOf(c)), slog.String("path", c.Request().URL.Path),
			slog.String("route", route), slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size), slog.Duration("duration", elapsed),
			slog.String("ip", c.RealIP()))
		return nil
	}
}

// headKey marks, in a request's context, a HEAD that is being served as a
// GET (see Server.ServeHTTP).
type headKey struct{}

// asGet answers HEAD wherever GET is answered (RFC 9110 §9.3.2), in one
// place: the request is routed and handled as a GET, and net/http, which
// still holds the original HEAD request, sends the same status and headers
// (Content-Length included when the body fits its buffer) and discards the
// body.
func asGet(r *http.Request) *http.Request {
	get := r.WithContext(context.WithValue(r.Context(), headKey{}, true)) // a shallow copy
	get.Method = http.MethodGet
	return get
}

// methodOf is the method the client sent.
func methodOf(c echo.Context) string {
	if c.Request().Context().Value(headKey{}) != nil {
		return http.MethodHead
	}
	return c.Request().Method
}

// methodLabel keeps the method label in a fixed set: a client may send any
// token as a method, and each new label value would be a new series kept
// for the life of the process.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// labelledStatuses are the statuses the server answers, each its own label;
// anything else is counted by class ("5xx") so the set stays fixed.
var labelledStatuses = func() map[int]string {
	m := map[int]string{}
	for _, s := range []int{200, 201, 204, 301, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429,
		statusClientClosed, 500, 503} {
		m[s] = strconv.Itoa(s)
	}
	return m
}()

func statusLabel(status int) string {
	if l, ok := labelledStatuses[status]; ok {
		return l
	}
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// statusClientClosed is nginx's 499: the client hung up before the answer.
// It is only logged and counted; the client is gone and reads nothing.
const statusClientClosed = 499

// recoverPanics turns a panic into an internal error, logged with its stack.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			loggerFrom(c).Error("panic", slog.String("error", err.Error()), slog.String("stack", string(stack)))
			return essdir.Internal(err)
		},
	})
}

// authenticate reads a Bearer token when there is one. A missing token makes
// an anonymous caller; a present but invalid one is refused (401), even on
// public routes, so that a client learns at once that its token is bad. Each
// failed authentication spends the client IP's anonymous budget, so that
// guessing tokens is as slow as any anonymous traffic (429 beyond it).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		if header == "" || !strings.HasPrefix(c.Request().URL.Path, "/v1/") {
			return next(c) // probes, metrics and docs take no credentials
		}
		scheme, token, ok := strings.Cut(header, " ")
		if ok && strings.EqualFold(scheme, "Basic") && clientAuthPaths[c.Request().URL.Path] {
			return next(c) // client credentials, checked by the handler
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			if err := s.anonLimit.allow("ip:" + c.RealIP()); err != nil {
				return err
			}
			return unauthorized("invalid_request", "the Authorization header must be: Bearer <token>")
		}
		p, err := s.tokens.Verify(strings.TrimSpace(token))
		if err != nil {
			if err := s.anonLimit.allow("ip:" + c.RealIP()); err != nil {
				return err
			}
			reason := "the token is invalid"
			if e, ok := err.(*auth.ErrInvalidToken); ok {
				reason = e.Reason
			}
			return unauthorized("invalid_token", reason)
		}
		if err := s.currentAccount(c, p); err != nil {
			return err
		}
		c.Set(ctxPrincipal, p)
		return next(c)
	}
}

// currentAccount holds a verified token to its account as stored now, so
// that disabling, demoting or deleting an account takes effect at once
// rather than when its access tokens expire: a disabled admin must not
// re-enable itself or make new admins with the token it still holds. One
// primary-key read per authenticated request. A user's role is the stored
// one (a demoted admin is an editor from its next request); a client's
// liveness is checked the same way. A token issued by the token endpoint
// also names its session (the refresh-token family), checked on the family
// index: a revoked session's access tokens stop at once.
func (s *Server) currentAccount(c echo.Context, p *auth.Principal) error {
	ctx := c.Request().Context()
	if p.Session != uuid.Nil {
		revoked, err := s.refreshTokens.FamilyRevoked(ctx, p.Session)
		if err != nil {
			return err
		}
		if revoked {
			return unauthorized("invalid_token", "the session of this token was revoked")
		}
	}
	if p.Kind == essdir.SubjectClient {
		_, err := s.liveClient(c, p)
		return err
	}
	u, err := s.users.FindUserByID(ctx, p.Subject)
	switch {
	case essdir.ErrorCode(err) == essdir.ENOTFOUND || (err == nil && u.Disabled):
		return unauthorized("invalid_token", "the account of this token is disabled or no longer exists")
	case err != nil:
		return err
	}
	p.Role = u.Role
	return nil
}

// clientAuthPaths take a partner client's credentials by HTTP Basic.
var clientAuthPaths = map[string]bool{"/v1/auth/token": true, "/v1/auth/revoke": true}

func unauthorized(code, description string) error {
	return &httpError{status: http.StatusUnauthorized, detail: description, headers: map[string]string{
		echo.HeaderWWWAuthenticate: fmt.Sprintf(`Bearer realm="essdir", error=%q, error_description=%q`, code, description),
	}}
}

// principalOf returns the authenticated caller, or nil for anonymous ones.
func principalOf(c echo.Context) *auth.Principal {
	p, _ := c.Get(ctxPrincipal).(*auth.Principal)
	return p
}

// canSeeUnpublished reports whether the caller may read drafts, pending and
// archived records, and personal data such as contacts.
func canSeeUnpublished(c echo.Context) bool {
	p := principalOf(c)
	return p != nil && p.Role.Includes(essdir.RoleEditor)
}

// requireRole guards a route: 401 without credentials, 403 unless the
// caller's role includes one of roles.
func requireRole(roles ...essdir.Role) echo.MiddlewareFunc {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principalOf(c)
			if p == nil {
				return unauthorized("invalid_request", "this action needs a Bearer access token")
			}
			for _, r := range roles {
				if p.Role.Includes(r) {
					return next(c)
				}
			}
			return essdir.Errorf(essdir.EFORBIDDEN, "this action needs the %s role", strings.Join(names, " or "))
		}
	}
}

// requireCaller guards a route open to every authenticated caller, whatever
// its role: 401 without credentials.
func requireCaller(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c) == nil {
			return unauthorized("invalid_request", "this action needs a Bearer access token")
		}
		return next(c)
	}
}

// limiter is a per-minute budget per key; nil means no limit.
type limiter struct{ store middleware.RateLimiterStore }

func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	return &limiter{middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: perMinute, ExpiresIn: 3 * time.Minute,
	})}
}

// allow spends one request of key's budget, or answers 429.
func (l *limiter) allow(key string) error {
	if l == nil {
		return nil
	}
	if ok, err := l.store.Allow(key); err != nil || !ok {
		return &httpError{status: http.StatusTooManyRequests, detail: "too many requests; slow down",
			headers: map[string]string{"Retry-After": "10"}}
	}
	return nil
}

// rateLimit applies the per-minute budgets of /v1: per IP for anonymous
// callers (s.anonLimit, which failed authentications also spend), per
// subject for authenticated ones.
func (s *Server) rateLimit(authPerMinute int) echo.MiddlewareFunc {
	anon, authed := s.anonLimit, newLimiter(authPerMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !strings.HasPrefix(c.Request().URL.Path, "/v1/") {
				return next(c) // probes, metrics and docs are never limited
			}
			l, key := anon, "ip:"+c.RealIP()
			if p := principalOf(c); p != nil {
				l, key = authed, "sub:"+p.Subject.String()
			}
			if err := l.allow(key); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// limitPerIP is a stricter budget for one route (the token endpoint, where
// each request costs a password hash and guessing must stay slow).
func limitPerIP(perMinute int) echo.MiddlewareFunc {
	l := newLimiter(perMinute)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := l.allow(c.RealIP()); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// requireJSON refuses bodies that are not JSON (415). PATCH also takes
// application/merge-patch+json.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		mt, _, err := mime.ParseMediaType(ct)
		ok := err == nil && (mt == echo.MIMEApplicationJSON ||
			(c.Request().Method == http.MethodPatch && mt == mimeMergePatch))
		if !ok {
			want := "application/json"
			if c.Request().Method == http.MethodPatch {
				want = "application/merge-patch+json or application/json"
			}
			return newHTTPError(http.StatusUnsupportedMediaType, "the body must be "+want)
		}
		return next(c)
	}
}

const mimeMergePatch = "application/merge-patch+json"

// refuseContentEncoding answers 415 to a body in any Content-Encoding but
// identity: essdir decodes none, and reading a compressed body as if it were
// plain would store garbage or fail with a misleading message.
func refuseContentEncoding(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
			return next(c)
		}
		for _, v := range r.Header.Values("Content-Encoding") {
			for _, coding := range strings.Split(v, ",") {
				if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
					return newHTTPError(http.StatusUnsupportedMediaType,
						"unsupported Content-Encoding: send the body uncompressed (identity)")
				}
			}
		}
		return next(c)
	}
}

// withTimeout bounds the work of one request so that a slow query cannot
// hold a connection forever.
func withTimeout(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			orig := c.Request()
			ctx, cancel := context.WithTimeout(orig.Context(), d)
			defer cancel()
			c.SetRequest(orig.WithContext(ctx))
			err := next(c)
			// The error handler runs after this returns, when ctx is cancelled
			// anyway: it must see the client's context, which is cancelled
			// only when the client hangs up.
			c.SetRequest(orig)
			return err
		}
	}
}

// refuseQueryOnWrites applies the strict-parameter rule to the writes of
// /v1: they take no query parameter, so any one is a typo or a wish the
// server would silently ignore (PATCH ?dry_run=true really writing). 400.
func refuseQueryOnWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		// The token endpoint answers OAuth 2 errors of its own (RFC 6749).
		if p := c.Request().URL.Path; c.Request().URL.RawQuery == "" || !strings.HasPrefix(p, "/v1/") || p == "/v1/auth/token" {
			return next(c)
		}
		if err := newQuery(c).err(); err != nil {
			return err
		}
		return next(c)
	}
}
