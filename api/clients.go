package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) clientRoutes(g *echo.Group, admin echo.MiddlewareFunc) {
	g.GET("/clients", s.listClients, admin)
	g.POST("/clients", s.createClient, admin, requireJSON)
	g.GET("/clients/:id", s.getClient, admin)
	g.PATCH("/clients/:id", s.patchClient, admin, requireJSON)
	g.DELETE("/clients/:id", s.deleteClient, admin)
}

// Client is a partner application; its id is the OAuth 2 client_id. The
// secret is never part of it.
type Client struct {
	ID         uuid.UUID     `json:"id" format:"uuid" validate:"required"`
	Name       string        `json:"name" validate:"required" example:"RTES"`
	Source     string        `json:"source" validate:"required" example:"rtes"`
	Moderation essdir.Status `json:"moderation" enums:"pending,published" validate:"required"`
	Disabled   bool          `json:"disabled" validate:"required"`
	CreatedAt  time.Time     `json:"created_at" validate:"required"`
	UpdatedAt  time.Time     `json:"updated_at" validate:"required"`
} // @name Client

// CreatedClient is a new client with its secret: the only time the secret
// is shown.
type CreatedClient struct {
	Client
	ClientID     string `json:"client_id" format:"uuid" validate:"required"`
	ClientSecret string `json:"client_secret" validate:"required"`
} // @name CreatedClient

// ClientInput creates a client.
type ClientInput struct {
	Name       string        `json:"name" validate:"required" example:"RTES"`
	Source     string        `json:"source" validate:"required" example:"rtes"`
	Moderation essdir.Status `json:"moderation,omitempty" enums:"pending,published" example:"pending"`
} // @name ClientInput

// ClientPatch changes a client (JSON Merge Patch of these members). The
// source never changes: the client's records carry it.
type ClientPatch struct {
	Name       *string        `json:"name,omitempty"`
	Moderation *essdir.Status `json:"moderation,omitempty" enums:"pending,published"`
	Disabled   *bool          `json:"disabled,omitempty"`
} // @name ClientPatch

// ClientList is a page of clients.
type ClientList struct {
	Data []Client `json:"data" validate:"required"`
	Meta ListMeta `json:"meta" validate:"required"`
} // @name ClientList

func toClient(cl *essdir.Client) Client {
	return Client{ID: cl.ID, Name: cl.Name, Source: cl.Source, Moderation: cl.Moderation, Disabled: cl.Disabled,
		CreatedAt: cl.CreatedAt, UpdatedAt: cl.UpdatedAt}
}

// listClients godoc
//
//	@ID				listClients
//	@Summary		List partner clients
//	@Description	Every client, in creation order, without secrets. Admin only.
//	@Tags			clients
//	@Produce		json,application/problem+json
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	ClientList
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not an admin"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/clients [get]
func (s *Server) listClients(c echo.Context) error {
	after, limit, err := accountPage(c)
	if err != nil {
		return err
	}
	clients, err := s.clients.FindClients(c.Request().Context(), after, limit+1)
	if err != nil {
		return err
	}
	return writeAccounts(c, clients, limit, func(cl *essdir.Client) uuid.UUID { return cl.ID }, toClient,
		func(data []Client, meta ListMeta) any { return ClientList{Data: data, Meta: meta} })
}

// createClient godoc
//
//	@ID				createClient
//	@Summary		Create a partner client
//	@Description	A partner application bound to one `source`: it gets tokens of the partner role with the client credentials grant and writes only structures and events of its source. `moderation` (default pending) is the status its new structures take unless they name one; a pending client may not publish. The answer carries `client_secret`, shown this once and stored hashed. Admin only.
//	@Tags			clients
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string		false	"makes a retry safe: the first answer is replayed"
//	@Param			client			body		ClientInput	true	"the client"
//	@Success		201				{object}	CreatedClient
//	@Header			201				{string}	Location	"URL of the new client"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"not an admin"
//	@Failure		409				{object}	Problem	"the Idempotency-Key is in use"
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/clients [post]
func (s *Server) createClient(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in ClientInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	secret, hash := auth.NewSecret()
	cl := &essdir.Client{Name: in.Name, Source: in.Source, Moderation: in.Moderation, SecretHash: hash}
	if err := s.clients.CreateClient(c.Request().Context(), cl); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/clients/"+cl.ID.String())
	return writeAccount(c, http.StatusCreated, CreatedClient{Client: toClient(cl), ClientID: cl.ID.String(), ClientSecret: secret})
}

// getClient godoc
//
//	@ID				getClient
//	@Summary		Get a partner client
//	@Description	Without its secret, which is never shown again. Admin only.
//	@Tags			clients
//	@Produce		json,application/problem+json
//	@Param			id	path		string	true	"client id"	format(uuid)
//	@Success		200	{object}	Client
//	@Header			200	{string}	ETag	"strong entity tag"
//	@Success		304	"not modified"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not an admin"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem
//	@Failure		503	{object}	Problem
//	@Failure		500	{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/clients/{id} [get]
func (s *Server) getClient(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	cl, err := s.clients.FindClientByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeAccount(c, http.StatusOK, toClient(cl))
}

// patchClient godoc
//
//	@ID				patchClient
//	@Summary		Change a partner client
//	@Description	Renames, changes the moderation, disables or enables a client. Disabling revokes its refresh tokens and and refuses its access tokens at once (every request reads its account). The source never changes. Admin only.
//	@Tags			clients
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id		path		string		true	"client id"	format(uuid)
//	@Param			patch	body		ClientPatch	true	"the members to change"
//	@Success		200		{object}	Client
//	@Header			200		{string}	ETag	"strong entity tag"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not an admin"
//	@Failure		404		{object}	Problem
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/clients/{id} [patch]
func (s *Server) patchClient(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	var in ClientPatch
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	if err := refuseNulls(body, []string{"name", "moderation", "disabled"}); err != nil {
		return err
	}
	cl, err := s.clients.UpdateClient(c.Request().Context(), id, essdir.ClientChange{Name: in.Name, Moderation: in.Moderation, Disabled: in.Disabled})
	if err != nil {
		return err
	}
	return writeAccount(c, http.StatusOK, toClient(cl))
}

// deleteClient godoc
//
//	@ID				deleteClient
//	@Summary		Delete a partner client
//	@Description	Erases the client and revokes its refresh tokens at once; its access tokens are refused at once. The records it wrote stay, with their source. Admin only.
//	@Tags			clients
//	@Produce		json,application/problem+json
//	@Param			id	path	string	true	"client id"	format(uuid)
//	@Success		204	"deleted"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not an admin"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem
//	@Failure		503	{object}	Problem
//	@Failure		500	{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/clients/{id} [delete]
func (s *Server) deleteClient(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.clients.DeleteClient(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
