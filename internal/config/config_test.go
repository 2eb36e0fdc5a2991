package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/essdir/essdir/internal/config"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != config.DefaultDatabaseURL || c.AccessTokenTTL != 15*time.Minute ||
		c.BodyLimit != 1<<20 || !c.SecretGenerated || len(c.JWTSecret) != 32 ||
		c.MaxConns != 512 || c.MaxConnsPerIP != 32 || c.StatementTimeout != 5*time.Second {
		t.Errorf("defaults = %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"ErrShortSecret", map[string]string{"ESSDIR_JWT_SECRET": "short"}, "ESSDIR_JWT_SECRET: must be at least 32 bytes"},
		{"ErrShortPreviousSecret", map[string]string{"ESSDIR_JWT_PREVIOUS_SECRETS": "x"}, "ESSDIR_JWT_PREVIOUS_SECRETS"},
		{"ErrBadAddr", map[string]string{"ESSDIR_ADDR": "8080"}, "ESSDIR_ADDR"},
		{"ErrBadURL", map[string]string{"ESSDIR_DATABASE_URL": "mysql://x"}, "ESSDIR_DATABASE_URL"},
		{"ErrBadTTL", map[string]string{"ESSDIR_ACCESS_TOKEN_TTL": "forever"}, "ESSDIR_ACCESS_TOKEN_TTL"},
		{"ErrBadProxy", map[string]string{"ESSDIR_TRUSTED_PROXIES": "10.0.0.1"}, "ESSDIR_TRUSTED_PROXIES"},
		{"ErrBadRate", map[string]string{"ESSDIR_RATE_LIMIT_ANON": "-1"}, "ESSDIR_RATE_LIMIT_ANON"},
		{"ErrBadMaxConns", map[string]string{"ESSDIR_MAX_CONNS": "0"}, "ESSDIR_MAX_CONNS"},
		{"ErrBadMaxConnsPerIP", map[string]string{"ESSDIR_MAX_CONNS_PER_IP": "-1"}, "ESSDIR_MAX_CONNS_PER_IP"},
		{"ErrBadStatementTimeout", map[string]string{"ESSDIR_STATEMENT_TIMEOUT": "soon"}, "ESSDIR_STATEMENT_TIMEOUT"},
		{"ErrBadLevel", map[string]string{"ESSDIR_LOG_LEVEL": "loud"}, "ESSDIR_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := config.Load(env(map[string]string{"ESSDIR_JWT_SECRET": "short", "ESSDIR_ADDR": "nope"}))
	if err == nil || !strings.Contains(err.Error(), "ESSDIR_JWT_SECRET") || !strings.Contains(err.Error(), "ESSDIR_ADDR") {
		t.Errorf("error = %v, want both variables named", err)
	}
}

// TestREADMEDocumentsEveryVariable keeps the README's table in step with Vars.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.Vars {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
}
