package api_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// bogusRequests sends n requests with made-up methods and paths, the way an
// attacker would try to grow the metrics without bound.
func bogusRequests(tb testing.TB, e *env, n int) {
	tb.Helper()
	client := e.srv.Client()
	for i := range n {
		method := fmt.Sprintf("M%d", rand.IntN(1_000_000))
		path := fmt.Sprintf("/x%d/%d", i, rand.IntN(1_000_000))
		if i%3 == 0 {
			method = http.MethodGet // a real method on a made-up path
		}
		r, err := http.NewRequest(method, e.srv.URL+path, nil)
		if err != nil {
			tb.Fatal(err)
		}
		res, err := client.Do(r)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// requestSeries scrapes /metrics and counts the request counter's series.
func requestSeries(tb testing.TB, e *env) (series, size int) {
	tb.Helper()
	res, err := e.srv.Client().Get(e.srv.URL + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "essdir_http_requests_total{") {
			series++
		}
	}
	return series, len(body)
}

// TestMetricsLabelsAreBounded: made-up methods and paths all fall into a
// fixed set of labels, so no request can grow /metrics.
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := newEnv(t)
	bogusRequests(t, e, 300)
	series, _ := requestSeries(t, e)
	// other/GET × unmatched × a couple of status classes.
	if series > 8 {
		t.Errorf("300 bogus requests made %d request series, want a handful", series)
	}
	r := e.do(req{method: "GET", path: "/metrics"})
	body := string(r.body)
	for _, want := range []string{
		`essdir_http_requests_total{method="other",route="unmatched",status="404"}`,
		`essdir_http_requests_total{method="GET",route="unmatched",status="404"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `method="M`) {
		t.Error("a made-up method became a label")
	}
}

// BenchmarkMetricsBogusMethods reports what N requests with random methods
// and paths leave behind: run it with -benchtime=50000x for the figures of
// issue 5 (series, /metrics bytes, heap in use after a GC).
func BenchmarkMetricsBogusMethods(b *testing.B) {
	e := newEnv(b)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	bogusRequests(b, e, b.N)
	b.StopTimer()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	series, size := requestSeries(b, e)
	b.ReportMetric(float64(series), "series")
	b.ReportMetric(float64(size), "metrics-bytes")
	b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "heap-growth-MiB")
}
