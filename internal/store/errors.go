package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// constraints turns the names of constraints (unique indexes, foreign keys,
// checks) into the error a client should read: the one table of every
// resource's database errors. An unknown constraint still yields a generic
// conflict or invalid record.
var constraints = map[string]struct{ code, field, message string }{
	"structures_siret_key":                        {essdir.ECONFLICT, "siret", "a structure with this SIRET already exists"},
	"structures_slug_key":                         {essdir.ECONFLICT, "slug", "this slug is already taken"},
	"structures_source_external_id_key":           {essdir.ECONFLICT, "external_id", "a structure with this external_id already exists in this source"},
	"users_email_key":                             {essdir.ECONFLICT, "email", "a user with this e-mail already exists"},
	"events_source_external_id_key":               {essdir.ECONFLICT, "external_id", "an event with this external_id already exists in this source"},
	"events_period_check":                         {essdir.EINVALID, "ends_at", "must not be before starts_at"},
	"event_organizers_structure_fkey":             {essdir.EINVALID, "organizers", "an organizer is not a structure of the directory"},
	"event_organizers_collectivity_fkey":          {essdir.EINVALID, "organizers", "an organizer is not a collectivity of the directory"},
	"event_participants_structure_fkey":           {essdir.EINVALID, "participants", "a participant is not a structure of the directory"},
	"collectivities_kind_insee_key":               {essdir.ECONFLICT, "insee_code", "a collectivity of this kind with this code already exists"},
	"collectivities_kind_siren_key":               {essdir.ECONFLICT, "siren", "a collectivity of this kind with this SIREN already exists"},
	"collectivities_source_external_id_key":       {essdir.ECONFLICT, "external_id", "a collectivity with this external_id already exists in this source"},
	"collectivity_links_period_check":             {essdir.EINVALID, "end_date", "must not be before start_date"},
	"collectivity_links_amount_eur_check":         {essdir.EINVALID, "amount_eur", "must be at least 0"},
	"collectivity_links_structure_fkey":           {essdir.EINVALID, "structure_id", "is not a structure of the directory"},
	"collectivity_links_collectivity_fkey":        {essdir.EINVALID, "collectivity_id", "is not a collectivity of the directory"},
	"collectivity_links_support_scheme_fkey":      {essdir.EINVALID, "support_scheme_id", "is not a support scheme of the directory"},
	"support_schemes_operator_fkey":               {essdir.EINVALID, "operator_structure_id", "is not a structure of the directory"},
	"support_scheme_funders_collectivity_fkey":    {essdir.EINVALID, "funders", "a funder is not a collectivity of the directory"},
	"support_scheme_beneficiaries_structure_fkey": {essdir.EINVALID, "beneficiary_structure_ids", "a beneficiary is not a structure of the directory"},
	"support_scheme_beneficiaries_pkey":           {essdir.EINVALID, "beneficiary_structure_ids", "a structure is listed twice"},
}

// isTransient says whether PostgreSQL ended the transaction for a
// condition of the moment rather than of the request, so that running the
// whole transaction again may succeed: a deadlock it broke (40P01: bulk
// writers whose counter upserts, key locks and unique-index waits met in a
// circle) or a serialization failure (40001: not met at READ COMMITTED,
// the level every write runs at, but the same answer would hold).
func isTransient(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// translate turns a database error into an *essdir.Error. Unknown failures
// become EINTERNAL, wrapping the cause for the logs.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var appErr *essdir.Error
	if errors.As(err, &appErr) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return essdir.Errorf(essdir.ENOTFOUND, "not found")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.ConstraintName != "" && constraints[pgErr.ConstraintName].code != "":
			m := constraints[pgErr.ConstraintName]
			return &essdir.Error{Code: m.code, Message: m.message,
				Fields: []essdir.FieldError{{Field: m.field, Message: m.message}}, Err: err}
		case pgErr.Code == "23505":
			return &essdir.Error{Code: essdir.ECONFLICT, Message: "the record conflicts with an existing one", Err: err}
		case pgErr.Code == "23503", pgErr.Code == "23514", strings.HasPrefix(pgErr.Code, "22"):
			return &essdir.Error{Code: essdir.EINVALID, Message: "the record breaks a rule of the database", Err: err}
		case isTransient(pgErr):
			// Retried by the writes that may meet it; still there after
			// the retries, it is the database's condition of the moment.
			return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database ended the transaction to break a deadlock; try again", Err: err}
		case pgErr.Code == "57014": // query_canceled: the statement timeout, or a cancel request
			return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database did not answer in time", Err: err}
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "53"),
			strings.HasPrefix(pgErr.Code, "57P"):
			return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database is unavailable", Err: err}
		}
		return essdir.Internal(err)
	}
	// A cancelled context is the caller's doing (a client that hung up), not
	// the database's: the transport tells the two apart through Err, which
	// keeps context.Canceled for errors.Is. A deadline is the database being
	// too slow for the request's time budget.
	if errors.Is(err, context.Canceled) {
		return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the request was cancelled", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database did not answer in time", Err: err}
	}
	if unavailable(err) {
		return &essdir.Error{Code: essdir.EUNAVAILABLE, Message: "the database is unavailable", Err: err}
	}
	return essdir.Internal(err)
}

// errPoolClosed is database/sql's (unexported) error of a closed pool: the
// database is out of reach of this process, as when it is shutting down.
const errPoolClosed = "sql: database is closed"

func unavailable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || err.Error() == errPoolClosed ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		pgconn.SafeToRetry(err)
}
