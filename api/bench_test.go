package api_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// Benchmarks of the HTTP path over loopback against the real database. They
// report figures (make bench); they assert no timing.

func benchEnv(b *testing.B, n int) (*env, string) {
	b.Helper()
	e := newEnv(b)
	editor := e.user(essdir.RoleEditor)
	source := "bench-" + randomSuffix()
	var id string
	for i := range n {
		s := champ(source)
		s["name"] = fmt.Sprintf("Recyclerie %04d", i)
		id = e.create(editor, s)["id"].(string)
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

func BenchmarkGetStructure(b *testing.B) {
	e, id := benchEnv(b, 1)
	benchGet(b, e, "/v1/structures/"+id)
}

func BenchmarkListStructures20(b *testing.B) {
	e, _ := benchEnv(b, 40)
	benchGet(b, e, "/v1/structures?department_code=21&limit=20")
}
