package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/essdir"
)

// Benchmarks of the read paths against the real database. They report
// figures (make bench-go); they assert no timing.
//
// GetStructure and ListStructures20 go over loopback HTTP, so their
// allocations include the in-process client's and net/http's; the Handler
// variants call the API's handler directly (what essdir's own code
// allocates), and HTTPClientBaseline is the client and net/http alone,
// serving a body of the same size, to subtract from the former.

// benchStructure is a structure shaped like the rows of the benchmark data
// set (long summary and description), with a social link and a contact.
func benchStructure(source string, i int) map[string]any {
	s := champ(source)
	s["name"] = fmt.Sprintf("Recyclerie %04d", i)
	s["summary"] = strings.Repeat("association alimentation social économie ", 2)
	s["description"] = strings.Repeat("solidaire insertion livres recyclage emploi territoire citoyen réemploi ", 4)
	return s
}

// benchEnv loads n structures into a fresh API whose logger is at level
// (bench/bench.sh serves at error level: no access line).
func benchEnv(b *testing.B, n int, level slog.Level) (*env, string) {
	b.Helper()
	e := newEnv(b, func(o *api.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	})
	editor := e.user(essdir.RoleEditor)
	source := "bench-" + randomSuffix()
	var id string
	for i := range n {
		id = e.create(editor, benchStructure(source, i))["id"].(string)
	}
	return e, id
}

func benchGet(b *testing.B, e *env, path string) {
	b.Helper()
	client := e.srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Get(e.srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, reusing its header map: the benchmark counts the handler's
// allocations, not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

func benchHandler(b *testing.B, e *env, path string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		w.status, w.n = 0, 0
		e.api.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n == 0 {
			b.Fatalf("status %d, %d bytes", w.status, w.n)
		}
	}
}

func BenchmarkGetStructure(b *testing.B) {
	e, id := benchEnv(b, 1, slog.LevelInfo)
	benchGet(b, e, "/v1/structures/"+id)
}

func BenchmarkListStructures20(b *testing.B) {
	e, _ := benchEnv(b, 40, slog.LevelInfo)
	benchGet(b, e, "/v1/structures?department_code=21&limit=20")
}

func BenchmarkGetStructureHandler(b *testing.B) {
	for _, level := range []slog.Level{slog.LevelError, slog.LevelInfo} {
		b.Run("log="+level.String(), func(b *testing.B) {
			e, id := benchEnv(b, 1, level)
			benchHandler(b, e, "/v1/structures/"+id)
		})
	}
}

func BenchmarkListStructures20Handler(b *testing.B) {
	for _, level := range []slog.Level{slog.LevelError, slog.LevelInfo} {
		b.Run("log="+level.String(), func(b *testing.B) {
			e, _ := benchEnv(b, 40, level)
			benchHandler(b, e, "/v1/structures?department_code=21&limit=20")
		})
	}
}

// BenchmarkHTTPClientBaseline is the loopback client and net/http serving a
// fixed body of a structure's size: what GetStructure counts beyond the API.
func BenchmarkHTTPClientBaseline(b *testing.B) {
	body := []byte(`{"data":"` + strings.Repeat("x", 1200) + `"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	client := srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := client.Get(srv.URL + "/v1/structures/x")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
