// Package api is essdir's HTTP transport: the route table, the handlers and
// their DTOs, the middleware and the one error handler. Echo types stop here.
//
//	@title						essdir API
//	@version					1.0
//	@description				Directory of French social and solidarity economy (ESS) structures, the support local authorities give them, support schemes and events. Reads are public and see published records only; writes need a Bearer access token from POST /v1/auth/token. Errors are RFC 9457 problem documents. HEAD is answered wherever GET is, with the same status and headers and no body.
//	@contact.name				essdir
//	@license.name				AGPL-3.0-or-later
//	@BasePath					/
//	@tag.name					structures
//	@tag.description			ESS structures: associations, cooperatives, mutuelles, chantiers d'insertion, recycleries, tiers-lieux…
//	@tag.name					activities
//	@tag.description			What structures do, and for whom.
//	@tag.name					collectivities
//	@tag.description			Local authorities and public bodies that support the ESS.
//	@tag.name					collectivity-links
//	@tag.description			The support a collectivity gives a structure: funding, premises, land, methodological support…
//	@tag.name					support-schemes
//	@tag.description			Dispositifs d'accompagnement such as the DLA and the Générateur Bourgogne-Franche-Comté: operator, funders, steps, territory and the structures they helped.
//	@tag.name					geography
//	@tag.description			The official geography (COG): communes, EPCI, départements, régions.
//	@tag.name					vocabularies
//	@tag.description			The codes of every coded field, with their French labels.
//	@tag.name					events
//	@tag.description			Events where the directory's actors meet (forums, workshops, round tables), as JSON and as iCalendar feeds.
//	@tag.name					changes
//	@tag.description			The change feed partners poll to stay in sync: every write in commit order, deletes as tombstones.
//	@tag.name					sync
//	@tag.description			Partner sync: bulk upserts by (source, external_id) and exports to other directories' schemas.
//	@tag.name					auth
//	@tag.description			OAuth 2 tokens and the authenticated caller.
//	@tag.name					operations
//	@tag.description			Probes, metrics and the API document.
//	@tag.name					users
//	@tag.description			People's accounts (admins, editors). Admin only.
//	@tag.name					clients
//	@tag.description			Partner applications bound to one source, with their client credentials. Admin only.
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				"Bearer " followed by an access token from POST /v1/auth/token. Roles: admin (everything), editor (directory content), partner (a client: structures and events of its source only).
//	@securityDefinitions.basic	BasicAuth
//	@description				A partner client's client_id and client_secret (RFC 6749 §2.3.1), at the token and revocation endpoints only.
package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	echoSwagger "github.com/swaggo/echo-swagger"

	_ "github.com/essdir/essdir/docs" // registers the generated spec for /swagger
	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options are the dependencies and settings of the HTTP layer.
type Options struct {
	Structures     essdir.StructureService
	Activities     essdir.ActivityService
	Collectivities essdir.CollectivityService
	Relations      essdir.StructureRelations
	Geography      essdir.Geography
	Events         essdir.EventService
	Feed           essdir.Feed
	Sync           essdir.SyncService
	Exporter       essdir.StructureExporter
	Users          essdir.UserService
	Clients        essdir.ClientService
	RefreshTokens  essdir.RefreshTokenService
	Idempotency    essdir.IdempotencyService // nil: Idempotency-Key is ignored
	Tokens         *auth.Issuer
	RefreshTTL     time.Duration // lifetime of refresh tokens; 0 = 30 days
	DB             Pinger
	Logger         *slog.Logger
	Registry       *prometheus.Registry // where the HTTP metrics go, served at /metrics
	BodyLimit      int64
	BulkBodyLimit  int64 // the bulk routes' own body limit
	CORSOrigins    []string
	TrustedProxies []*net.IPNet
	RateLimitAnon  int
	RateLimitAuth  int
	RateLimitToken int // token requests per minute per IP; 0 = off
	// RateLimitExport is the anonymous budget of whole-set reads (exports,
	// facets) per minute per IP; 0 = off.
	RateLimitExport int
	// ExportTimeout bounds an export, which may run far longer than
	// RequestTimeout (default 10 minutes).
	ExportTimeout  time.Duration
	RequestTimeout time.Duration

	SupportSchemes    essdir.SupportSchemeService
	CollectivityLinks essdir.CollectivityLinkService
}

// Server is the API as an http.Handler.
type Server struct {
	echo           *echo.Echo
	structures     essdir.StructureService
	activities     essdir.ActivityService
	collectivities essdir.CollectivityService
	relations      essdir.StructureRelations
	geography      essdir.Geography
	events         essdir.EventService
	feed           essdir.Feed
	sync           essdir.SyncService
	exporter       essdir.StructureExporter
	users          essdir.UserService
	clients        essdir.ClientService
	refreshTokens  essdir.RefreshTokenService
	idempotent     essdir.IdempotencyService
	refreshTTL     time.Duration
	tokens         *auth.Issuer
	db             Pinger
	log            *slog.Logger
	metrics        *metrics
	anonLimit      *limiter // per client IP: anonymous requests and failed authentications
	exportLimit    *limiter // per client IP: anonymous exports and facets
	exportTimeout  time.Duration
	draining       atomic.Bool

	supportSchemes    essdir.SupportSchemeService
	collectivityLinks essdir.CollectivityLinkService
	views             *viewCache // encoded structures of recent anonymous lists
}

// New builds the server and its route table.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 30 * 24 * time.Hour
	}
	if o.ExportTimeout <= 0 {
		o.ExportTimeout = 10 * time.Minute
	}
	if o.BulkBodyLimit <= 0 {
		o.BulkBodyLimit = 16 << 20
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	s := &Server{
		echo: echo.New(), structures: o.Structures, activities: o.Activities, collectivities: o.Collectivities, relations: o.Relations, events: o.Events, users: o.Users, tokens: o.Tokens,
		db: o.DB, log: o.Logger, metrics: newMetrics(o.Registry), anonLimit: newLimiter(o.RateLimitAnon),
		geography: o.Geography, supportSchemes: o.SupportSchemes, collectivityLinks: o.CollectivityLinks,
		clients: o.Clients, refreshTokens: o.RefreshTokens, idempotent: o.Idempotency, refreshTTL: o.RefreshTTL,
		exportLimit: newLimiter(o.RateLimitExport), exportTimeout: o.ExportTimeout, views: newViewCache(viewCacheBytes, viewCacheEntry),
		feed: o.Feed, sync: o.Sync, exporter: o.Exporter,
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if len(o.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range o.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}

	e.Use(s.requestID, securityHeaders, s.observe, s.recoverPanics())
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  o.CORSOrigins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, headerIfMatch, headerIfNoneMatch, "Idempotency-Key", echo.HeaderXRequestID},
		ExposeHeaders: []string{headerETag, echo.HeaderLocation, "Link", "Retry-After", echo.HeaderXRequestID, echo.HeaderWWWAuthenticate},
		MaxAge:        3600,
	}))
	e.Use(withTimeout(o.RequestTimeout), s.authenticate, s.rateLimit(o.RateLimitAuth),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: strconv.FormatInt(o.BodyLimit, 10), Skipper: isBulkRoute}),
		refuseContentEncoding, refuseQueryOnWrites, s.idempotency)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})))
	e.GET("/swagger", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/swagger/index.html") })
	e.GET("/swagger/*", echoSwagger.WrapHandler)

	// No group middleware: Echo would add catch-all routes to the group that
	// turn every 405 under /v1 into a 404.
	v1 := e.Group("/v1")
	editor := requireRole(essdir.RoleEditor)
	writer := requireRole(essdir.RoleEditor, essdir.RolePartner) // partners: their source only (authorizeWrite)
	admin := requireRole(essdir.RoleAdmin)
	s.authRoutes(v1, limitPerIP(o.RateLimitToken))
	s.structureRoutes(v1, writer)
	s.activityRoutes(v1, editor)
	s.collectivityRoutes(v1, editor)
	s.geographyRoutes(v1)
	s.vocabularyRoutes(v1)
	s.eventRoutes(v1, writer)
	s.supportSchemeRoutes(v1, editor)
	s.collectivityLinkRoutes(v1, editor)
	s.userRoutes(v1, admin)
	s.clientRoutes(v1, admin)
	s.changeRoutes(v1)
	s.bulkRoutes(v1, o.BulkBodyLimit, writer)
	s.exportRoutes(v1)
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		r = asGet(r) // HEAD wherever GET: net/http drops the body
	}
	s.echo.ServeHTTP(w, r)
}

// Drain makes /readyz answer 503 so that load balancers stop sending
// traffic while in-flight requests finish.
func (s *Server) Drain() { s.draining.Store(true) }
