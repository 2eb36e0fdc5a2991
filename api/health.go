package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Health is the body of the health probes.
type Health struct {
	Status string `json:"status" example:"ok" validate:"required"`
} // @name Health

// healthz godoc
//
//	@ID	getHealth
//	@Summary	Liveness: the process is up
//	@Tags		operations
//	@Produce	json,application/problem+json
//	@Success	200	{object}	Health
//	@Router		/healthz [get]
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

// readyz godoc
//
//	@ID	getReadiness
//	@Summary	Readiness: the database answers and the server is not shutting down
//	@Tags		operations
//	@Produce	json,application/problem+json
//	@Success	200	{object}	Health
//	@Failure	503	{object}	Problem
//	@Failure	500	{object}	Problem	"internal error, logged with the request id"
//	@Router		/readyz [get]
func (s *Server) readyz(c echo.Context) error {
	if s.draining.Load() {
		return essdir.Errorf(essdir.EUNAVAILABLE, "the server is shutting down")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database is unavailable", Err: err}
	}
	return c.JSON(http.StatusOK, Health{Status: "ok"})
}

// metrics godoc
//
//	@ID	getMetrics
//	@Summary	Prometheus metrics: requests and latency by route and status, connection pool, Go runtime
//	@Tags		operations
//	@Produce	plain
//	@Success	200	{string}	string	"metrics in the Prometheus text format"
//	@Router		/metrics [get]
func (s *Server) metricsHandler(h http.Handler) echo.HandlerFunc { return echo.WrapHandler(h) }
