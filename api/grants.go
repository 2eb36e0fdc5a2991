package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

// clientCredentials reads a client's id and secret from HTTP Basic or from
// the body (RFC 6749 §2.3.1), never both.
// ok is false when no credentials were given at all.
func clientCredentials(c echo.Context, params url.Values) (id, secret string, ok bool, oerr *OAuthError) {
	user, pass, hasBasic := c.Request().BasicAuth()
	inBody := params.Get("client_id") != "" || params.Get("client_secret") != ""
	switch {
	case hasBasic && inBody:
		return "", "", false, &OAuthError{"invalid_request", "give the client credentials either with HTTP Basic or in the body, not both"}
	case hasBasic:
		// Basic encodes each part as a form value first (RFC 6749 §2.3.1).
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", "", true, nil // a wrong secret, as far as anyone can tell
		}
		return id, secret, true, nil
	case inBody:
		return params.Get("client_id"), params.Get("client_secret"), true, nil
	}
	return "", "", false, nil
}

// authenticateClient returns the enabled client these credentials name, or
// nil. An unknown id, a disabled client and a wrong secret cost the same: one
// SHA-256 and a constant-time comparison, after the same lookup.
func (s *Server) authenticateClient(c echo.Context, id, secret string) (*essdir.Client, error) {
	var hash []byte
	var cl *essdir.Client
	if uid, err := uuid.Parse(id); err == nil {
		cl, err = s.clients.FindClientByID(c.Request().Context(), uid)
		switch {
		case err == nil:
			hash = cl.SecretHash
		case essdir.ErrorCode(err) != essdir.ENOTFOUND:
			return nil, err
		}
	}
	if !auth.SecretMatches(hash, secret) || cl.Disabled {
		loggerFrom(c).Info("client authentication refused", "client_known", hash != nil)
		return nil, nil
	}
	return cl, nil
}

// basicRealm is the challenge of a failed client authentication: RFC 9110
// wants one on every 401, and RFC 6749 §5.2 a Basic one when Basic was tried.
const basicRealm = `Basic realm="essdir", charset="UTF-8"`

// invalidClient is the token endpoint's 401 (RFC 6749 §5.2).
func invalidClient(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, basicRealm)
	return c.JSON(http.StatusUnauthorized, OAuthError{"invalid_client", "the client id or the client secret is wrong"})
}

// clientCredentialsGrant gives a partner client a token of the partner role,
// bound to its source.
func (s *Server) clientCredentialsGrant(c echo.Context, params url.Values) error {
	id, secret, ok, oerr := clientCredentials(c, params)
	if oerr != nil {
		return c.JSON(http.StatusBadRequest, oerr)
	}
	if !ok {
		return invalidClient(c)
	}
	cl, err := s.authenticateClient(c, id, secret)
	if err != nil {
		return err
	}
	if cl == nil {
		return invalidClient(c)
	}
	return s.grant(c, &auth.Principal{Subject: cl.ID, Kind: essdir.SubjectClient, Role: essdir.RolePartner, Source: cl.Source}, nil, "")
}

// refreshTokenGrant spends a refresh token for a new pair. The subject is
// read again, so a disabled or deleted account gets nothing (and loses every
// refresh token it still had); its role and source are the current ones.
func (s *Server) refreshTokenGrant(c echo.Context, params url.Values) error {
	old := params.Get("refresh_token")
	if old == "" {
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_request", "refresh_token is required"})
	}
	ctx := c.Request().Context()
	raw, hash := auth.NewSecret()
	next := &essdir.RefreshToken{Hash: hash, ExpiresAt: time.Now().Add(s.refreshTTL)}
	err := s.refreshTokens.RotateRefreshToken(ctx, auth.HashSecret(old), next)
	switch essdir.ErrorCode(err) {
	case essdir.ENOTFOUND:
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_grant", "the refresh token is unknown, expired or revoked"})
	case essdir.EUNAUTHORIZED:
		loggerFrom(c).Warn("spent refresh token shown again: family revoked")
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_grant", essdir.ErrRefreshReused})
	}
	if err != nil {
		return err
	}
	p, err := s.currentPrincipal(c, next.Subject)
	if err != nil {
		return err
	}
	if p == nil {
		if err := s.refreshTokens.RevokeSubjectTokens(ctx, next.Subject); err != nil {
			return err
		}
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_grant", "the account of this refresh token is disabled or deleted"})
	}
	return s.grant(c, p, next, raw)
}

// currentPrincipal reads a subject as it is now: nil when disabled or gone.
func (s *Server) currentPrincipal(c echo.Context, sub essdir.Subject) (*auth.Principal, error) {
	ctx := c.Request().Context()
	if sub.Kind == essdir.SubjectClient {
		cl, err := s.clients.FindClientByID(ctx, sub.ID)
		if essdir.ErrorCode(err) == essdir.ENOTFOUND || (err == nil && cl.Disabled) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &auth.Principal{Subject: cl.ID, Kind: essdir.SubjectClient, Role: essdir.RolePartner, Source: cl.Source}, nil
	}
	u, err := s.users.FindUserByID(ctx, sub.ID)
	if essdir.ErrorCode(err) == essdir.ENOTFOUND || (err == nil && u.Disabled) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &auth.Principal{Subject: u.ID, Kind: essdir.SubjectUser, Role: u.Role, Email: u.Email}, nil
}

// grant answers a token pair. refresh is the refresh token already stored by
// a rotation; nil starts a new family.
func (s *Server) grant(c echo.Context, p *auth.Principal, refresh *essdir.RefreshToken, raw string) error {
	if refresh == nil {
		var hash []byte
		raw, hash = auth.NewSecret()
		refresh = &essdir.RefreshToken{Hash: hash, Subject: p.Of(), ExpiresAt: time.Now().Add(s.refreshTTL)}
		if err := s.refreshTokens.CreateRefreshToken(c.Request().Context(), refresh); err != nil {
			return err
		}
	}
	p.Session = refresh.Family // revoking the family ends this access token too
	access, err := s.tokens.IssueFor(p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, TokenResponse{AccessToken: access, TokenType: "Bearer",
		ExpiresIn: int(s.tokens.TTL().Seconds()), RefreshToken: raw})
}

// RevokeRequest is the body of the revocation endpoint (RFC 7009), as a form
// or JSON.
type RevokeRequest struct {
	Token         string `json:"token" validate:"required"`
	TokenTypeHint string `json:"token_type_hint" enums:"refresh_token,access_token"`
	ClientID      string `json:"client_id" format:"uuid"`
	ClientSecret  string `json:"client_secret"`
} // @name RevokeRequest

// revoke godoc
//
//	@ID				revokeToken
//	@Summary		Revoke a refresh or access token (its whole session)
//	@Description	RFC 7009. The caller authenticates with its Bearer access token or, for a partner client, its client credentials (HTTP Basic or `client_id` and `client_secret` in the body). Revoking a refresh token revokes its whole family. Revoking an access token revokes the session it was issued with: that access token, its refresh token and every token rotated from it are refused from the next request (a refresh token's family, revoked, ends its access tokens the same way). An unknown token, or one issued to someone else, answers 200 as well and changes nothing. `token_type_hint` is accepted and not needed. Any role.
//	@Tags			auth
//	@Accept			x-www-form-urlencoded
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			request	body	RevokeRequest	true	"the token to revoke"
//	@Success		200		"revoked, or nothing to revoke"
//	@Failure		400		{object}	Problem	"no token"
//	@Failure		401		{object}	Problem	"no or wrong credentials"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Security		BasicAuth
//	@Router			/v1/auth/revoke [post]
func (s *Server) revoke(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	params, oerr, err := tokenParams(c)
	if err != nil {
		return err
	}
	if oerr != nil {
		return malformed("", "%s", oerr.ErrorDescription)
	}
	owner := principalOf(c)
	if owner == nil {
		id, secret, ok, oerr := clientCredentials(c, params)
		if oerr != nil {
			return malformed("", "%s", oerr.ErrorDescription)
		}
		if !ok {
			return unauthorized("invalid_request", "authenticate with a Bearer token or client credentials")
		}
		cl, err := s.authenticateClient(c, id, secret)
		if err != nil {
			return err
		}
		if cl == nil {
			if err := s.anonLimit.allow("ip:" + c.RealIP()); err != nil {
				return err
			}
			return &httpError{status: http.StatusUnauthorized, detail: "the client id or the client secret is wrong",
				headers: map[string]string{echo.HeaderWWWAuthenticate: basicRealm}}
		}
		owner = &auth.Principal{Subject: cl.ID, Kind: essdir.SubjectClient, Role: essdir.RolePartner, Source: cl.Source}
	}
	token := params.Get("token")
	if strings.TrimSpace(token) == "" {
		return malformed("token", "token is required")
	}
	ctx := c.Request().Context()
	// An access token of the caller's names its session: the family is
	// revoked, so the access token, its refresh token and every token
	// rotated from it stop working at once. Anything else is taken for a
	// refresh token.
	if access, err := s.tokens.Verify(strings.TrimSpace(token)); err == nil {
		if access.Session == uuid.Nil || access.Of() != owner.Of() {
			return c.NoContent(http.StatusOK) // not a session's, or someone else's: nothing to revoke
		}
		if err := s.refreshTokens.RevokeFamily(ctx, access.Session, owner.Of()); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	}
	if err := s.refreshTokens.RevokeRefreshToken(ctx, auth.HashSecret(token), owner.Of()); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// liveClient is the caller's client as stored now: 401 when it was disabled
// or deleted since its token was issued.
func (s *Server) liveClient(c echo.Context, p *auth.Principal) (*essdir.Client, error) {
	cl, err := s.clients.FindClientByID(c.Request().Context(), p.Subject)
	if essdir.ErrorCode(err) == essdir.ENOTFOUND || (err == nil && cl.Disabled) {
		return nil, unauthorized("invalid_token", "the client of this token is disabled or no longer exists")
	}
	return cl, err
}
