package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/internal/store"
)

var testDSN string

func TestMain(m *testing.M) {
	auth.BcryptCost = 4 // fast hashes for test users
	os.Exit(pgtest.Run(m, &testDSN))
}

const specHost = "http://essdir.test"

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// spec loads docs/swagger.json, converted to OpenAPI 3 for kin-openapi.
func spec(tb testing.TB) (*openapi3.T, routers.Router) {
	tb.Helper()
	specOnce.Do(func() {
		raw, err := os.ReadFile("../docs/swagger.json")
		if err != nil {
			specErr = err
			return
		}
		var doc2 openapi2.T
		if specErr = json.Unmarshal(raw, &doc2); specErr != nil {
			return
		}
		if specDoc, specErr = openapi2conv.ToV3(&doc2); specErr != nil {
			return
		}
		specDoc.Servers = openapi3.Servers{{URL: specHost}}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		// The calendar feeds are text: read them as such to check the
		// status and content type the spec documents.
		openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	if specErr != nil {
		tb.Fatalf("load docs/swagger.json: %v", specErr)
	}
	return specDoc, specRouter
}

// env is one running API over real HTTP on loopback, with its store.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	api    *api.Server
	store  *store.Store
	tokens *auth.Issuer
	logs   *bytes.Buffer
	logw   *lockedWriter
}

// logText is what the server has logged so far (safe while it runs).
func (e *env) logText() string {
	e.logw.mu.Lock()
	defer e.logw.mu.Unlock()
	return e.logs.String()
}

type envOption func(*api.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, testDSN, store.Options{MaxOpenConns: 4}, opts...)
}

// newEnvOn is newEnv with its own database URL and pool settings.
func newEnvOn(t testing.TB, dsn string, so store.Options, opts ...envOption) *env {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tokens, err := auth.NewIssuer([]byte("test-secret-test-secret-test-secret!"), nil, "essdir", "essdir-api", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	logw := &lockedWriter{w: logs}
	o := api.Options{
		Structures: st, Activities: st, Collectivities: st, Relations: st, Events: st, SupportSchemes: st, CollectivityLinks: st, Feed: st, Sync: st, Exporter: st, Users: st, Tokens: tokens, DB: st,
		Clients: st, RefreshTokens: st, Idempotency: st,
		Logger:   slog.New(slog.NewJSONHandler(logw, nil)),
		Registry: prometheus.NewRegistry(), CORSOrigins: []string{"*"},
	}
	o.Geography = st
	for _, opt := range opts {
		opt(&o)
	}
	handler := api.New(o)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, api: handler, store: st, tokens: tokens, logs: logs, logw: logw}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// user creates a user with the given role and returns a bearer token for it.
func (e *env) user(role essdir.Role) string {
	e.t.Helper()
	hash, err := auth.HashPassword("a test password!")
	if err != nil {
		e.t.Fatal(err)
	}
	u := &essdir.User{Email: string(role) + "-" + randomSuffix() + "@example.org", Role: role, PasswordHash: hash}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.tokens.Issue(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// req describes one call.
type req struct {
	method, path string
	token        string
	body         any // string or []byte sent as is; anything else as JSON
	contentType  string
	headers      map[string]string
}

// resp is a validated response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends the request to the real server and validates the response
// against docs/swagger.json: documented status, content type and schema.
func (e *env) do(r req) *resp {
	e.t.Helper()
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		if ct != "-" {
			hr.Header.Set("Content-Type", ct)
		}
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	spec(e.t)
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &resp{status: res.StatusCode, header: res.Header, body: got}
	e.validate(hr, out)
	return out
}

// validate checks one response against the spec and fails the test when
// it does not match.
func (e *env) validate(hr *http.Request, r *resp) {
	e.t.Helper()
	if err := checkResponse(hr, r); err != nil {
		e.t.Fatalf("%s %s: %v\nstatus %d body %s", hr.Method, hr.URL.RequestURI(), err, r.status, r.body)
	}
}

// exportTypes are the media types of the structure exports.
var exportTypes = map[string]bool{"text/csv": true, "application/geo+json": true, "application/x-ndjson": true}

// checkResponse validates one response against docs/swagger.json:
// documented status, content type and schema. Paths the spec does not know
// (unknown routes) must still answer a Problem.
func checkResponse(hr *http.Request, r *resp) error {
	if strings.HasPrefix(hr.URL.Path, "/swagger/") || hr.Method == http.MethodOptions {
		return nil // the Swagger UI's own files; CORS preflights
	}
	if specErr != nil {
		return specErr
	}
	method, head := hr.Method, hr.Method == http.MethodHead
	if head {
		// HEAD is GET without the body: the status and headers are checked
		// against the GET operation, and there must be no body.
		if len(r.body) > 0 {
			return fmt.Errorf("HEAD answered a body of %d bytes", len(r.body))
		}
		method = http.MethodGet
	}
	vr, err := http.NewRequest(method, specHost+hr.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	vr.Header = hr.Header.Clone()
	route, params, err := specRouter.FindRoute(vr)
	if err != nil {
		if r.status < 400 {
			return fmt.Errorf("answered %d but is not in the spec", r.status)
		}
		return checkProblem(r, head)
	}
	// OpenAPI 2 gives a response one schema, the JSON one: an export's
	// body (CSV, GeoJSON, NDJSON) is checked by the export tests; here,
	// that the operation produces its media type.
	excludeBody := head
	if mt := strings.TrimSpace(strings.Split(r.header.Get("Content-Type"), ";")[0]); exportTypes[mt] && r.status == http.StatusOK {
		if route.Operation.Responses.Status(200).Value.Content.Get(mt) == nil {
			return fmt.Errorf("answered %s, which the operation does not produce", mt)
		}
		excludeBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: vr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  r.status,
		Header:  r.header,
		Body:    io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: excludeBody},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("response does not match docs/swagger.json: %w", err)
	}
	if r.status >= 400 && hr.URL.Path != "/v1/auth/token" {
		return checkProblem(r, head)
	}
	return nil
}

// checkProblem asserts the RFC 9457 shape and that nothing internal leaks;
// for HEAD, only the content type (there is no body).
func checkProblem(r *resp, head bool) error {
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("error %d has Content-Type %q, want application/problem+json", r.status, ct)
	}
	if head {
		return nil
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		return fmt.Errorf("problem body is not JSON")
	}
	if err := specDoc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		return fmt.Errorf("problem body does not match the Problem schema: %w", err)
	}
	p, _ := v.(map[string]any)
	if status, _ := p["status"].(float64); int(status) != r.status {
		return fmt.Errorf("problem status %v differs from HTTP status %d", p["status"], r.status)
	}
	lower := strings.ToLower(string(r.body))
	for _, leak := range []string{"sqlstate", "pq:", "pgx", "gorm", "select ", "insert ", "runtime.", "goroutine", ".go:", "essdir.", "*api.", "panic"} {
		if strings.Contains(lower, leak) {
			return fmt.Errorf("problem body leaks internals (%q)", leak)
		}
	}
	return nil
}

// countStructures counts every row of the structures table, deleted ones
// included: the measure of "the request changed nothing".
func (e *env) countStructures() int {
	e.t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM structures").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func randomSuffix() string { return uuid.NewString()[:8] }

func wantStatus(tb testing.TB, r *resp, status int) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status = %d, want %d\n%s", r.status, status, r.body)
	}
}

// wantFields asserts a problem names exactly these fields, in any order.
func wantFields(tb testing.TB, r *resp, fields ...string) {
	tb.Helper()
	p := r.json(tb)
	errs, _ := p["errors"].([]any)
	got := map[string]bool{}
	for _, x := range errs {
		got[x.(map[string]any)["field"].(string)] = true
	}
	for _, f := range fields {
		if !got[f] {
			tb.Fatalf("problem does not name field %q: %s", f, r.body)
		}
	}
	if len(errs) != len(fields) {
		tb.Fatalf("problem names %d fields, want %d (%v): %s", len(errs), len(fields), fields, r.body)
	}
}
