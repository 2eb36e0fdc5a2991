package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) userRoutes(g *echo.Group, admin echo.MiddlewareFunc) {
	g.GET("/users", s.listUsers, admin)
	g.POST("/users", s.createUser, admin, requireJSON)
	g.GET("/users/:id", s.getUser, admin)
	g.PATCH("/users/:id", s.patchUser, admin, requireJSON)
	g.DELETE("/users/:id", s.deleteUser, admin)
}

// User is a person's account, without its password hash.
type User struct {
	ID        uuid.UUID   `json:"id" format:"uuid" validate:"required"`
	Email     string      `json:"email" validate:"required" example:"editor@example.org"`
	Role      essdir.Role `json:"role" enums:"admin,editor" validate:"required"`
	Disabled  bool        `json:"disabled" validate:"required"`
	CreatedAt time.Time   `json:"created_at" validate:"required"`
	UpdatedAt time.Time   `json:"updated_at" validate:"required"`
} // @name User

// UserInput creates a user.
type UserInput struct {
	Email    string      `json:"email" validate:"required" example:"editor@example.org"`
	Password string      `json:"password" validate:"required" minLength:"12" example:"correct horse battery staple"`
	Role     essdir.Role `json:"role" enums:"admin,editor" validate:"required"`
} // @name UserInput

// UserPatch changes a user (JSON Merge Patch of these members).
type UserPatch struct {
	Role     *essdir.Role `json:"role,omitempty" enums:"admin,editor"`
	Disabled *bool        `json:"disabled,omitempty"`
	Password *string      `json:"password,omitempty"`
} // @name UserPatch

// UserList is a page of users.
type UserList struct {
	Data []User   `json:"data" validate:"required"`
	Meta ListMeta `json:"meta" validate:"required"`
} // @name UserList

func toUser(u *essdir.User) User {
	return User{ID: u.ID, Email: u.Email, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// listUsers godoc
//
//	@ID				listUsers
//	@Summary		List users
//	@Description	Every user, in creation order. Admin only.
//	@Tags			users
//	@Produce		json,application/problem+json
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	UserList
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not an admin"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/users [get]
func (s *Server) listUsers(c echo.Context) error {
	after, limit, err := accountPage(c)
	if err != nil {
		return err
	}
	users, err := s.users.FindUsers(c.Request().Context(), after, limit+1)
	if err != nil {
		return err
	}
	return writeAccounts(c, users, limit, func(u *essdir.User) uuid.UUID { return u.ID }, toUser,
		func(data []User, meta ListMeta) any { return UserList{Data: data, Meta: meta} })
}

// createUser godoc
//
//	@ID				createUser
//	@Summary		Create a user
//	@Description	An admin or an editor, who signs in with the password grant. The password (12 to 72 bytes) is stored as a bcrypt hash and never shown. Admin only.
//	@Tags			users
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string		false	"makes a retry safe: the first answer is replayed"
//	@Param			user			body		UserInput	true	"the user"
//	@Success		201				{object}	User
//	@Header			201				{string}	Location	"URL of the new user"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"not an admin"
//	@Failure		409				{object}	Problem	"the e-mail is taken, or the Idempotency-Key is in use"
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/users [post]
func (s *Server) createUser(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in UserInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	if err := auth.CheckPasswordPolicy(in.Password); err != nil {
		return (essdir.Violations{{Field: "password", Message: err.Error()}}).Err()
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return err
	}
	u := &essdir.User{Email: in.Email, Role: in.Role, PasswordHash: hash}
	if err := s.users.CreateUser(c.Request().Context(), u); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/users/"+u.ID.String())
	return writeAccount(c, http.StatusCreated, toUser(u))
}

// getUser godoc
//
//	@ID				getUser
//	@Summary		Get a user
//	@Description	Admin only.
//	@Tags			users
//	@Produce		json,application/problem+json
//	@Param			id	path		string	true	"user id"	format(uuid)
//	@Success		200	{object}	User
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
//	@Router			/v1/users/{id} [get]
func (s *Server) getUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	u, err := s.users.FindUserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeAccount(c, http.StatusOK, toUser(u))
}

// patchUser godoc
//
//	@ID				patchUser
//	@Summary		Change a user
//	@Description	Changes the role, disables or enables the account, or sets a new password. Disabling a user (or changing its password) revokes its refresh tokens at once; its access tokens are refused from the next request on (every request reads its account), and a new role applies at once. An admin cannot disable or demote itself (409). Admin only.
//	@Tags			users
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id		path		string		true	"user id"	format(uuid)
//	@Param			patch	body		UserPatch	true	"the members to change"
//	@Success		200		{object}	User
//	@Header			200		{string}	ETag	"strong entity tag"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not an admin"
//	@Failure		404		{object}	Problem
//	@Failure		409		{object}	Problem	"an admin's change to its own account"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/users/{id} [patch]
func (s *Server) patchUser(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	var in UserPatch
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	if err := refuseNulls(body, []string{"role", "disabled", "password"}); err != nil {
		return err
	}
	ch := essdir.UserChange{Role: in.Role, Disabled: in.Disabled}
	if (in.Disabled != nil && *in.Disabled) || (in.Role != nil && *in.Role != essdir.RoleAdmin) {
		if err := notSelf(c, id, "disable or demote"); err != nil {
			return err
		}
	}
	if in.Password != nil {
		if err := auth.CheckPasswordPolicy(*in.Password); err != nil {
			return (essdir.Violations{{Field: "password", Message: err.Error()}}).Err()
		}
		hash, err := auth.HashPassword(*in.Password)
		if err != nil {
			return err
		}
		ch.PasswordHash = &hash
	}
	u, err := s.users.UpdateUser(c.Request().Context(), id, ch)
	if err != nil {
		return err
	}
	return writeAccount(c, http.StatusOK, toUser(u))
}

// deleteUser godoc
//
//	@ID				deleteUser
//	@Summary		Delete a user
//	@Description	Erases the account and revokes its refresh tokens at once; its access tokens are refused at once (every request reads its account). An admin cannot delete itself (409). Admin only.
//	@Tags			users
//	@Produce		json,application/problem+json
//	@Param			id	path	string	true	"user id"	format(uuid)
//	@Success		204	"deleted"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not an admin"
//	@Failure		404	{object}	Problem
//	@Failure		409	{object}	Problem	"an admin deleting itself"
//	@Failure		429	{object}	Problem
//	@Failure		503	{object}	Problem
//	@Failure		500	{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/users/{id} [delete]
func (s *Server) deleteUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := notSelf(c, id, "delete"); err != nil {
		return err
	}
	if err := s.users.DeleteUser(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
