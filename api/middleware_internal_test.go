package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

// TestRequireRole checks the guard itself: no role yet exists below editor
// on the directory routes, so the 403 path is proven here, on an admin-only
// handler.
func TestRequireRole(t *testing.T) {
	tests := []struct {
		name      string
		principal *auth.Principal
		need      essdir.Role
		want      int
	}{
		{"ErrAnonymous", nil, essdir.RoleEditor, http.StatusUnauthorized},
		{"ErrEditorOnAdminRoute", &auth.Principal{Subject: uuid.New(), Role: essdir.RoleEditor}, essdir.RoleAdmin, http.StatusForbidden},
		{"EditorOnEditorRoute", &auth.Principal{Subject: uuid.New(), Role: essdir.RoleEditor}, essdir.RoleEditor, http.StatusOK},
		{"AdminOnEditorRoute", &auth.Principal{Subject: uuid.New(), Role: essdir.RoleAdmin}, essdir.RoleEditor, http.StatusOK},
		{"AdminOnAdminRoute", &auth.Principal{Subject: uuid.New(), Role: essdir.RoleAdmin}, essdir.RoleAdmin, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{log: nil}
			e := echo.New()
			e.HTTPErrorHandler = s.handleError
			e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					if tt.principal != nil {
						c.Set(ctxPrincipal, tt.principal)
					}
					return next(c)
				}
			}, requireRole(tt.need))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want >= 400 && rec.Header().Get("Content-Type") != mimeProblem {
				t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}
