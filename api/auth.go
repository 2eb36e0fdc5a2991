package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) authRoutes(g *echo.Group, tokenLimit echo.MiddlewareFunc) {
	g.POST("/auth/token", s.token, tokenLimit)
	g.POST("/auth/revoke", s.revoke, tokenLimit)
	g.GET("/auth/me", s.me)
}

// TokenRequest is the body of the token endpoint, as JSON or as a form.
type TokenRequest struct {
	GrantType    string `json:"grant_type" enums:"password,client_credentials,refresh_token" validate:"required" example:"password"`
	Username     string `json:"username" example:"editor@example.org"`
	Password     string `json:"password" example:"correct horse battery staple"`
	ClientID     string `json:"client_id" format:"uuid"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
} // @name TokenRequest

// TokenResponse is a successful token answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token" validate:"required"`
	TokenType   string `json:"token_type" example:"Bearer" validate:"required"`
	ExpiresIn   int    `json:"expires_in" example:"900" validate:"required"`
	// RefreshToken is opaque and single-use: each refresh returns the next.
	RefreshToken string `json:"refresh_token" validate:"required"`
} // @name TokenResponse

// OAuthError is an error of the token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	Error            string `json:"error" enums:"invalid_request,invalid_client,invalid_grant,unauthorized_client,unsupported_grant_type" validate:"required"`
	ErrorDescription string `json:"error_description,omitempty"`
} // @name OAuthError

// Me describes the authenticated caller: a user (with its e-mail) or a
// partner client (with its name and source).
type Me struct {
	ID        uuid.UUID   `json:"id" format:"uuid" validate:"required"`
	Kind      string      `json:"kind" enums:"user,client" validate:"required"`
	Email     string      `json:"email,omitempty"`
	Name      string      `json:"name,omitempty"`
	Role      essdir.Role `json:"role" validate:"required"`
	Source    string      `json:"source,omitempty"`
	CreatedAt time.Time   `json:"created_at" validate:"required"`
} // @name Me

// token godoc
//
//	@ID	createToken
//	@Summary		Get an access token
//	@Description	OAuth 2 token endpoint (RFC 6749). `grant_type=password` with the user's e-mail as `username`; `client_credentials` for partner clients, authenticated by HTTP Basic (`client_id:client_secret`) or by `client_id` and `client_secret` in the body; `refresh_token` with the last refresh token received. Every grant answers a new refresh token: refresh tokens are single-use, and showing a spent one revokes every token of its family. The body may be `application/x-www-form-urlencoded` (the standard) or JSON with the same names; an `Idempotency-Key` is ignored here. Errors follow RFC 6749 §5.2: a failed client authentication is `invalid_client` (401, with `WWW-Authenticate: Basic` when Basic was used).
//	@Tags			auth
//	@Accept			x-www-form-urlencoded
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			request	body		TokenRequest	true	"credentials"
//	@Success		200		{object}	TokenResponse
//	@Failure		400		{object}	OAuthError
//	@Failure		401		{object}	OAuthError	"invalid_client"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem	"a Content-Encoding other than identity"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BasicAuth
//	@Router			/v1/auth/token [post]
func (s *Server) token(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	params, oerr, err := tokenParams(c)
	if err != nil {
		return err
	}
	if oerr != nil {
		return c.JSON(http.StatusBadRequest, oerr)
	}
	switch params.Get("grant_type") {
	case "password":
		return s.passwordGrant(c, params)
	case "client_credentials":
		return s.clientCredentialsGrant(c, params)
	case "refresh_token":
		return s.refreshTokenGrant(c, params)
	case "":
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_request", "grant_type is required"})
	}
	return c.JSON(http.StatusBadRequest, OAuthError{"unsupported_grant_type", "supported grant types: password, client_credentials, refresh_token"})
}

// passwordGrant signs a person in. A disabled account answers as a wrong
// password does, after the same comparison.
func (s *Server) passwordGrant(c echo.Context, params url.Values) error {
	username, password := params.Get("username"), params.Get("password")
	if username == "" || password == "" {
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_request", "username and password are required"})
	}
	if !cleanParam(username) || !utf8.ValidString(password) || strings.ContainsRune(password, 0) {
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_request", "username and password must be UTF-8 text"})
	}
	u, err := s.users.FindUserByEmail(c.Request().Context(), username)
	hash := ""
	switch {
	case err == nil:
		hash = u.PasswordHash
	case essdir.ErrorCode(err) != essdir.ENOTFOUND:
		return err
	}
	if !auth.CheckPassword(hash, password) || u.Disabled {
		loggerFrom(c).Info("password grant refused", "username_known", hash != "")
		return c.JSON(http.StatusBadRequest, OAuthError{"invalid_grant", "the e-mail or the password is wrong"})
	}
	return s.grant(c, &auth.Principal{Subject: u.ID, Kind: essdir.SubjectUser, Role: u.Role, Email: u.Email}, nil, "")
}

// tokenParams reads the token request from a form or a JSON object. A
// parameter given twice is refused (RFC 6749 §3.2).
func tokenParams(c echo.Context) (url.Values, *OAuthError, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	body, err := readBody(c)
	if err != nil {
		return nil, nil, err
	}
	switch mt {
	case echo.MIMEApplicationForm:
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &OAuthError{"invalid_request", "the form body cannot be parsed"}, nil
		}
		for k, v := range values {
			if len(v) > 1 {
				return nil, &OAuthError{"invalid_request", k + " is given more than once"}, nil
			}
		}
		return values, nil, nil
	case echo.MIMEApplicationJSON:
		if err := checkJSON(body); err != nil {
			return nil, &OAuthError{"invalid_request", shapeMessage(err)}, nil
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return nil, &OAuthError{"invalid_request", "the body must be a JSON object"}, nil
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, &OAuthError{"invalid_request", "the body has data after the JSON object"}, nil
		}
		values := url.Values{}
		for k, v := range obj {
			str, ok := v.(string)
			if !ok {
				return nil, &OAuthError{"invalid_request", k + " must be a string"}, nil
			}
			values.Set(k, str)
		}
		return values, nil, nil
	}
	return nil, &OAuthError{"invalid_request", "the body must be application/x-www-form-urlencoded or application/json"}, nil
}

// me godoc
//
//	@ID	getMe
//	@Summary	Who am I
//	@Tags		auth
//	@Description	A user (admin, editor) or a partner client (with its name and source).
//	@Produce	json,application/problem+json
//	@Success	200	{object}	Me
//	@Failure	400	{object}	Problem	"unknown query parameter"
//	@Failure	401	{object}	Problem
//	@Failure	429	{object}	Problem
//	@Failure	503	{object}	Problem
//	@Failure	500	{object}	Problem	"internal error, logged with the request id"
//	@Security	BearerAuth
//	@Router		/v1/auth/me [get]
func (s *Server) me(c echo.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	p := principalOf(c)
	if p == nil {
		return unauthorized("invalid_request", "this route needs a Bearer access token")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if p.Kind == essdir.SubjectClient {
		cl, err := s.liveClient(c, p)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, Me{ID: cl.ID, Kind: string(essdir.SubjectClient), Name: cl.Name, Role: essdir.RolePartner,
			Source: cl.Source, CreatedAt: cl.CreatedAt})
	}
	u, err := s.users.FindUserByID(c.Request().Context(), p.Subject)
	if essdir.ErrorCode(err) == essdir.ENOTFOUND || (err == nil && u.Disabled) {
		return unauthorized("invalid_token", "the account of this token is disabled or no longer exists")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Me{ID: u.ID, Kind: string(essdir.SubjectUser), Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt})
}
