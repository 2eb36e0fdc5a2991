// Package essdir holds the directory's domain: its record types, the rules
// they obey (validation, derived fields, vocabularies) and the one error type
// every layer speaks. It imports neither Echo nor GORM so that the rules can
// be read, tested and reused without the transport or the store.
package essdir

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status code in one place; the
// store and the domain never think in status codes.
const (
	EINVALID      = "invalid"      // well-formed input that breaks a rule (422)
	EMALFORMED    = "malformed"    // input that cannot be read at all (400)
	ENOTFOUND     = "not_found"    // no such record, or not visible to the caller (404)
	ECONFLICT     = "conflict"     // the write collides with existing data (409)
	EPRECONDITION = "precondition" // a stale If-Match (412)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials (401)
	EFORBIDDEN    = "forbidden"    // credentials too weak for the action (403)
	EUNAVAILABLE  = "unavailable"  // the database cannot be reached (503)
	EINTERNAL     = "internal"     // a bug or an unexpected failure (500)
)

// FieldError names one bad input field. Field is the JSON path of the field as
// the client sent it ("address.postal_code", "contacts[1].email").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the application error. Message is safe to show to a client; the
// wrapped Err (if any) is for logs only.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the underlying cause to errors.Is / errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a client-safe formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure: its cause is logged, never shown.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Violations collects field errors while a record is checked, so that a
// client learns about every bad field at once instead of one per request.
type Violations []FieldError

// Add records that field breaks a rule.
func (v *Violations) Add(field, format string, args ...any) {
	*v = append(*v, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was recorded, else an EINVALID *Error.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the record is invalid", Fields: v}
}
