package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/store"
)

// Server timeouts: a slow client cannot hold a connection open forever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 45 * time.Second // an idle keep-alive connection holds a file descriptor
	requestTimeout    = 30 * time.Second
)

func serve(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(logOut)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, st, err := open(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	log := newLogger(logOut, cfg.LogLevel)
	if cfg.SecretGenerated {
		log.Warn("ESSDIR_JWT_SECRET is not set: using a random secret, so tokens die with this process")
	}
	if !*noMigrate {
		if err := store.Migrate(ctx, st.SQL(), "up", logWriter{log}); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if err := store.CheckSchema(ctx, st.SQL()); err != nil {
		return err
	}
	tokens, err := auth.NewIssuer(cfg.JWTSecret, cfg.JWTPreviousSecrets, cfg.JWTIssuer, cfg.JWTAudience, cfg.AccessTokenTTL)
	if err != nil {
		return err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(st.SQL(), "essdir"))
	handler := api.New(api.Options{
		Structures: st, Activities: st, Collectivities: st, Relations: st, Events: st, SupportSchemes: st, CollectivityLinks: st, Feed: st, Sync: st, Exporter: st, Users: st, Tokens: tokens, DB: st, Logger: log, Registry: registry,
		Clients: st, RefreshTokens: st, Idempotency: st, RefreshTTL: cfg.RefreshTokenTTL,
		Geography: st,
		BodyLimit: cfg.BodyLimit, BulkBodyLimit: cfg.BulkBodyLimit, CORSOrigins: cfg.CORSOrigins, TrustedProxies: cfg.TrustedProxies,
		RateLimitAnon: cfg.RateLimitAnon, RateLimitAuth: cfg.RateLimitAuth, RateLimitToken: cfg.RateLimitToken,
		RateLimitExport: cfg.RateLimitExport, ExportTimeout: cfg.ExportTimeout,
		RequestTimeout: requestTimeout,
	})
	srv := &http.Server{
		Handler:           probesOnly(handler),
		ConnContext:       markReserve,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	tcp, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	perIP := cfg.MaxConnsPerIP
	if len(cfg.TrustedProxies) > 0 {
		perIP = 0 // every connection comes from the proxy
	}
	ln := newConnLimiter(tcp, cfg.MaxConns, perIP)
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "swagger", "/swagger/index.html")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Stop advertising readiness and give load balancers time to notice,
	// then stop accepting connections and let in-flight requests finish.
	handler.Drain()
	log.Info("draining", "delay", cfg.DrainDelay.String())
	select {
	case <-time.After(cfg.DrainDelay):
	case err := <-errc:
		return err
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// logWriter turns the migrator's lines into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
