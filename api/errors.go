package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Problem is an RFC 9457 problem document, the body of every error answer.
type Problem struct {
	Type      string `json:"type" example:"urn:essdir:problem:validation-failed"`
	Title     string `json:"title" example:"Unprocessable Entity"`
	Status    int    `json:"status" example:"422"`
	Detail    string `json:"detail,omitempty" example:"the record is invalid"`
	Instance  string `json:"instance,omitempty" example:"/v1/structures"`
	RequestID string `json:"request_id,omitempty" example:"01JDX3M6Q1V7G0N5T8YB2C4E6F"`
	// Errors names the bad fields, at most 20 of them.
	Errors []FieldError `json:"errors,omitempty"`
	// ErrorsTruncated counts the bad fields left out of errors beyond the 20
	// listed, so that an error is never much larger than its request.
	ErrorsTruncated int `json:"errors_truncated,omitempty" example:"3"`
} // @name Problem

// FieldError names one bad input field by its JSON path.
type FieldError struct {
	Field   string `json:"field" example:"address.postal_code"`
	Message string `json:"message" example:"must be a French postal code of 5 digits"`
} // @name FieldError

func toFieldErrors(in []essdir.FieldError) []FieldError {
	if len(in) == 0 {
		return nil
	}
	out := make([]FieldError, len(in))
	for i, f := range in {
		out[i] = FieldError(f)
	}
	return out
}

// problemTypes names each kind of problem. The URNs are stable identifiers a
// client can switch on; the title is the HTTP reason phrase.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "urn:essdir:problem:malformed-request",
	http.StatusUnauthorized:          "urn:essdir:problem:unauthorized",
	http.StatusForbidden:             "urn:essdir:problem:forbidden",
	http.StatusNotFound:              "urn:essdir:problem:not-found",
	http.StatusMethodNotAllowed:      "urn:essdir:problem:method-not-allowed",
	http.StatusNotAcceptable:         "urn:essdir:problem:not-acceptable",
	http.StatusConflict:              "urn:essdir:problem:conflict",
	http.StatusPreconditionFailed:    "urn:essdir:problem:precondition-failed",
	http.StatusRequestEntityTooLarge: "urn:essdir:problem:body-too-large",
	http.StatusUnsupportedMediaType:  "urn:essdir:problem:unsupported-media-type",
	http.StatusUnprocessableEntity:   "urn:essdir:problem:validation-failed",
	http.StatusTooManyRequests:       "urn:essdir:problem:rate-limited",
	http.StatusServiceUnavailable:    "urn:essdir:problem:unavailable",
	http.StatusInternalServerError:   "urn:essdir:problem:internal",
}

// statusOf maps each domain error code to its one HTTP status.
var statusOf = map[string]int{
	essdir.EINVALID:      http.StatusUnprocessableEntity,
	essdir.EMALFORMED:    http.StatusBadRequest,
	essdir.ENOTFOUND:     http.StatusNotFound,
	essdir.ECONFLICT:     http.StatusConflict,
	essdir.EPRECONDITION: http.StatusPreconditionFailed,
	essdir.EUNAUTHORIZED: http.StatusUnauthorized,
	essdir.EFORBIDDEN:    http.StatusForbidden,
	essdir.EUNAVAILABLE:  http.StatusServiceUnavailable,
	essdir.EINTERNAL:     http.StatusInternalServerError,
}

// httpError is an error that knows its status and extra response headers; the
// transport uses it for HTTP-only conditions (415, 413, 429, 401 challenges).
type httpError struct {
	status  int
	detail  string
	headers map[string]string
	fields  []essdir.FieldError
}

func (e *httpError) Error() string { return strconv.Itoa(e.status) + " " + e.detail }

func newHTTPError(status int, detail string) *httpError {
	return &httpError{status: status, detail: detail}
}

func malformed(field, format string, args ...any) error {
	e := essdir.Errorf(essdir.EMALFORMED, format, args...)
	if field != "" {
		e.Fields = []essdir.FieldError{{Field: field, Message: e.Message}}
	}
	return e
}

// toProblem turns any error into the problem to answer, and says whether it
// is a server fault that must be logged.
func toProblem(err error) (p Problem, headers map[string]string, internal bool) {
	var appErr *essdir.Error
	var hErr *httpError
	var echoErr *echo.HTTPError
	switch {
	case errors.As(err, &hErr):
		p = Problem{Status: hErr.status, Detail: hErr.detail, Errors: toFieldErrors(hErr.fields)}
		headers = hErr.headers
	case errors.As(err, &appErr):
		status, ok := statusOf[appErr.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		p = Problem{Status: status, Detail: appErr.Message, Errors: toFieldErrors(appErr.Fields)}
	case errors.As(err, &echoErr):
		// Echo's own errors: routing (404, 405), body limit (413) and the
		// like. Their messages are fixed strings, but only the status is kept.
		p = Problem{Status: echoErr.Code, Detail: echoDetail(echoErr.Code)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		p = Problem{Status: http.StatusServiceUnavailable, Detail: "the request was not completed in time"}
	default:
		p = Problem{Status: http.StatusInternalServerError}
	}
	if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
		p.Status, p.Detail, p.Errors, internal = http.StatusInternalServerError, "an internal error occurred; it has been logged", nil, true
	}
	if p.Status == http.StatusServiceUnavailable {
		internal = true
		if headers == nil {
			headers = map[string]string{"Retry-After": "5"}
		}
	}
	bound(&p)
	p.Type = problemTypes[p.Status]
	if p.Type == "" {
		p.Type = "about:blank"
	}
	p.Title = http.StatusText(p.Status)
	return p, headers, internal
}

// Bounds of a problem: an error names at most maxProblemErrors fields and
// clips the texts it repeats from the request (field names, values), so that
// a request cannot make its answer larger than itself.
const (
	maxProblemErrors = 20
	maxFieldBytes    = 128
	maxMessageBytes  = 512
)

func bound(p *Problem) {
	if n := len(p.Errors); n > maxProblemErrors {
		p.ErrorsTruncated = n - maxProblemErrors
		p.Errors = p.Errors[:maxProblemErrors]
	}
	p.Detail = clip(p.Detail, maxMessageBytes)
	for i := range p.Errors {
		p.Errors[i].Field = clip(p.Errors[i].Field, maxFieldBytes)
		p.Errors[i].Message = clip(p.Errors[i].Message, maxMessageBytes)
	}
}

// clip cuts s to at most max bytes on a character boundary, marking the cut.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func echoDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return "no such resource"
	case http.StatusMethodNotAllowed:
		return "this method is not allowed on this resource"
	case http.StatusRequestEntityTooLarge:
		return "the request body is too large"
	case http.StatusUnsupportedMediaType:
		return "unsupported content type"
	case http.StatusTooManyRequests:
		return "too many requests"
	}
	return http.StatusText(status)
}

// handleError is Echo's HTTPErrorHandler: the one place where errors become
// answers. Server faults are logged with the request id and answered without
// details.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	log := loggerFrom(c)
	if clientClosed(c, err) {
		// Not a failure of the server: counted and logged as 499, at info.
		log.LogAttrs(c.Request().Context(), slog.LevelInfo, "client closed the request", slog.String("error", err.Error()))
		_ = c.NoContent(statusClientClosed)
		return
	}
	p, headers, internal := toProblem(err)
	if internal {
		log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.Int("status", p.Status), slog.String("error", err.Error()))
	}
	p.Instance = c.Request().URL.Path
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	h := c.Response().Header()
	for k, v := range headers {
		h.Set(k, v)
	}
	if p.Status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="essdir"`)
	}
	h.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(p)
	_ = c.Blob(p.Status, mimeProblem, body) // for HEAD, net/http sends the headers only
}

const mimeProblem = "application/problem+json"

// clientClosed reports whether err comes of the client hanging up: the
// request's context was cancelled (not timed out: withTimeout's deadline is
// a 503) and the error is that cancellation, directly or as the database's
// cancelled statement (SQLSTATE 57014).
func clientClosed(c echo.Context, err error) bool {
	if !errors.Is(c.Request().Context().Err(), context.Canceled) {
		return false
	}
	var pgErr interface{ SQLState() string }
	return errors.Is(err, context.Canceled) || (errors.As(err, &pgErr) && pgErr.SQLState() == "57014")
}
