// Package config reads essdir's settings from ESSDIR_* environment variables
// and checks them all at start, so that a mistake stops the process with a
// message naming the variable instead of surfacing later as a strange failure.
package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultDatabaseURL is the local PostgreSQL of a developer machine; the
// database is created when missing.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/essdir?sslmode=disable"

// MinSecretBytes is the shortest HS256 secret accepted (RFC 7518 §3.2).
const MinSecretBytes = 32

// Config is the whole configuration of the service.
type Config struct {
	DatabaseURL        string
	DBMaxConns         int
	StatementTimeout   time.Duration // PostgreSQL statement_timeout of the request pool
	Addr               string
	MaxConns           int // connections served at once (plus a reserve for the probes)
	MaxConnsPerIP      int // connections from one client address; 0 = no cap, off behind trusted proxies
	JWTSecret          []byte
	JWTPreviousSecrets [][]byte
	JWTIssuer          string
	JWTAudience        string
	AccessTokenTTL     time.Duration
	RefreshTokenTTL    time.Duration
	BodyLimit          int64
	BulkBodyLimit      int64 // the bulk upsert routes' own body limit
	CORSOrigins        []string
	TrustedProxies     []*net.IPNet
	RateLimitAnon      int           // requests per minute per client IP; 0 = off
	RateLimitAuth      int           // requests per minute per authenticated subject; 0 = off
	RateLimitToken     int           // token requests per minute per client IP; 0 = off
	RateLimitExport    int           // anonymous exports and facets per minute per client IP; 0 = off
	ExportTimeout      time.Duration // longest export or facet count (request and SQL statement)
	LogLevel           string
	ShutdownTimeout    time.Duration
	DrainDelay         time.Duration
	// SecretGenerated is true when no secret was configured and a random one
	// was made: tokens then die with the process.
	SecretGenerated bool
}

// Var documents one environment variable; README's table is written from
// the same list.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable essdir reads.
var Vars = []Var{
	{"ESSDIR_DATABASE_URL", DefaultDatabaseURL, "PostgreSQL URL; the database is created if missing"},
	{"ESSDIR_DB_MAX_CONNS", "8", "size of the connection pool"},
	{"ESSDIR_STATEMENT_TIMEOUT", "5s", "longest an SQL statement of a request may run (PostgreSQL statement_timeout); beyond, the answer is 503"},
	{"ESSDIR_ADDR", ":8080", "address the API listens on"},
	{"ESSDIR_MAX_CONNS", "512", "HTTP connections served at once; beyond, 16 more are kept for /healthz and /readyz, then new connections are closed"},
	{"ESSDIR_MAX_CONNS_PER_IP", "32", "HTTP connections from one client address (0 = no cap; not applied when ESSDIR_TRUSTED_PROXIES is set)"},
	{"ESSDIR_JWT_SECRET", "(random, with a warning)", "HS256 key of access tokens, at least 32 bytes"},
	{"ESSDIR_JWT_PREVIOUS_SECRETS", "", "comma-separated former secrets that still verify tokens (rotation)"},
	{"ESSDIR_JWT_ISSUER", "essdir", "iss claim issued and required"},
	{"ESSDIR_JWT_AUDIENCE", "essdir-api", "aud claim issued and required"},
	{"ESSDIR_ACCESS_TOKEN_TTL", "15m", "lifetime of access tokens (Go duration)"},
	{"ESSDIR_REFRESH_TOKEN_TTL", "720h", "lifetime of refresh tokens (single-use, rotated on each refresh)"},
	{"ESSDIR_BODY_LIMIT", "1048576", "largest request body in bytes"},
	{"ESSDIR_BULK_BODY_LIMIT", "16777216", "largest body of the bulk upserts (POST /v1/structures/bulk, /v1/events/bulk) in bytes"},
	{"ESSDIR_CORS_ORIGINS", "*", "comma-separated origins allowed by CORS"},
	{"ESSDIR_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed"},
	{"ESSDIR_RATE_LIMIT_ANON", "600", "requests per minute per anonymous client IP (0 = off)"},
	{"ESSDIR_RATE_LIMIT_AUTH", "3000", "requests per minute per authenticated caller (0 = off)"},
	{"ESSDIR_RATE_LIMIT_TOKEN", "30", "token requests per minute per client IP, against password guessing (0 = off)"},
	{"ESSDIR_RATE_LIMIT_EXPORT", "30", "anonymous exports (CSV, GeoJSON, NDJSON) and facet counts per minute per client IP, on top of ESSDIR_RATE_LIMIT_ANON (0 = off)"},
	{"ESSDIR_EXPORT_TIMEOUT", "10m", "longest an export or a facet count may run, its SQL statement included (it raises ESSDIR_STATEMENT_TIMEOUT with SET LOCAL in its transaction)"},
	{"ESSDIR_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"ESSDIR_DRAIN_DELAY", "2s", "after SIGTERM, how long /readyz answers 503 before the listener closes"},
	{"ESSDIR_SHUTDOWN_TIMEOUT", "20s", "then, how long in-flight requests may take to finish"},
}

// Load reads the configuration through getenv (os.Getenv in production) and
// reports every bad variable at once.
func Load(getenv func(string) string) (*Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name && !strings.HasPrefix(v.Default, "(") {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	integer := func(name string, min, max int64) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n < min || n > max {
			bad(name, "must be an integer between %d and %d, got %q", min, max, get(name))
		}
		return n
	}
	durationFrom := func(name string, min time.Duration) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < min {
			bad(name, "must be a duration such as 30s or 15m (at least %s), got %q", min, get(name))
		}
		return d
	}
	duration := func(name string) time.Duration { return durationFrom(name, time.Millisecond) }

	c := &Config{
		DatabaseURL:      get("ESSDIR_DATABASE_URL"),
		DBMaxConns:       int(integer("ESSDIR_DB_MAX_CONNS", 1, 1000)),
		StatementTimeout: duration("ESSDIR_STATEMENT_TIMEOUT"),
		Addr:             get("ESSDIR_ADDR"),
		MaxConns:         int(integer("ESSDIR_MAX_CONNS", 1, 1_000_000)),
		MaxConnsPerIP:    int(integer("ESSDIR_MAX_CONNS_PER_IP", 0, 1_000_000)),
		JWTIssuer:        get("ESSDIR_JWT_ISSUER"),
		JWTAudience:      get("ESSDIR_JWT_AUDIENCE"),
		AccessTokenTTL:   duration("ESSDIR_ACCESS_TOKEN_TTL"),
		RefreshTokenTTL:  durationFrom("ESSDIR_REFRESH_TOKEN_TTL", time.Minute),
		BodyLimit:        integer("ESSDIR_BODY_LIMIT", 1024, 1<<30),
		BulkBodyLimit:    integer("ESSDIR_BULK_BODY_LIMIT", 1024, 1<<30),
		RateLimitAnon:    int(integer("ESSDIR_RATE_LIMIT_ANON", 0, 1_000_000)),
		RateLimitAuth:    int(integer("ESSDIR_RATE_LIMIT_AUTH", 0, 1_000_000)),
		RateLimitToken:   int(integer("ESSDIR_RATE_LIMIT_TOKEN", 0, 1_000_000)),
		RateLimitExport:  int(integer("ESSDIR_RATE_LIMIT_EXPORT", 0, 1_000_000)),
		ExportTimeout:    duration("ESSDIR_EXPORT_TIMEOUT"),
		LogLevel:         strings.ToLower(get("ESSDIR_LOG_LEVEL")),
		ShutdownTimeout:  duration("ESSDIR_SHUTDOWN_TIMEOUT"),
		DrainDelay:       durationFrom("ESSDIR_DRAIN_DELAY", 0),
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("ESSDIR_DATABASE_URL", "must be a postgres:// URL")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("ESSDIR_ADDR", "must be host:port or :port, got %q", c.Addr)
	}
	if secret := getenv("ESSDIR_JWT_SECRET"); secret != "" {
		c.JWTSecret = []byte(secret)
		if len(c.JWTSecret) < MinSecretBytes {
			bad("ESSDIR_JWT_SECRET", "must be at least %d bytes, got %d", MinSecretBytes, len(c.JWTSecret))
		}
	} else {
		c.JWTSecret = make([]byte, MinSecretBytes)
		if _, err := rand.Read(c.JWTSecret); err != nil {
			bad("ESSDIR_JWT_SECRET", "cannot make a random secret: %v", err)
		}
		c.SecretGenerated = true
	}
	for i, s := range split(getenv("ESSDIR_JWT_PREVIOUS_SECRETS")) {
		if len(s) < MinSecretBytes {
			bad("ESSDIR_JWT_PREVIOUS_SECRETS", "secret #%d must be at least %d bytes", i+1, MinSecretBytes)
		}
		c.JWTPreviousSecrets = append(c.JWTPreviousSecrets, []byte(s))
	}
	if c.AccessTokenTTL > 24*time.Hour {
		bad("ESSDIR_ACCESS_TOKEN_TTL", "must be at most 24h: access tokens cannot be revoked")
	}
	c.CORSOrigins = split(get("ESSDIR_CORS_ORIGINS"))
	for _, cidr := range split(getenv("ESSDIR_TRUSTED_PROXIES")) {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			bad("ESSDIR_TRUSTED_PROXIES", "%q is not a CIDR such as 10.0.0.0/8", cidr)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("ESSDIR_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
