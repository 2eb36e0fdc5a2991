package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Idempotency keys (the IETF draft's Idempotency-Key header) make a POST
// safe to retry: the first answer is stored and replayed.
const (
	headerIdempotencyKey = "Idempotency-Key"
	// idempotencyTTL is how long an answer is kept for replay.
	idempotencyTTL = 24 * time.Hour
	// idempotencyStale is when an unfinished claim is taken to be a crashed
	// request and may be claimed again: well beyond any request's timeout.
	idempotencyStale  = 5 * time.Minute
	maxIdempotencyKey = 255
)

// replayedHeaders are the headers of an answer stored with it.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, headerETag, "Cache-Control"}

// idempotency replays the answer of a POST sent again with the same
// Idempotency-Key by the same caller. The claim is a row inserted before the
// request runs, so the database settles races: a duplicate of a request
// still running is a 409, a key reused with another request (path or body)
// is a 422. Keys are scoped to the authenticated caller (anonymous POSTs
// are refused anyway), so a key never returns another caller's answer. The
// token endpoint ignores the header. Answers of 5xx are not kept: the
// request may be retried with the same key.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		key := r.Header.Get(headerIdempotencyKey)
		p := principalOf(c)
		if r.Method != http.MethodPost || key == "" || p == nil || r.URL.Path == "/v1/auth/token" || s.idempotent == nil {
			return next(c)
		}
		if !validIdempotencyKey(key) {
			return malformed(headerIdempotencyKey, "the Idempotency-Key must be 1 to %d visible ASCII characters", maxIdempotencyKey)
		}
		body, err := readBody(c)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		ct := r.Header.Get(echo.HeaderContentType)
		mt, _, _ := mime.ParseMediaType(ct)
		h.Write([]byte(r.URL.RequestURI() + "\n" + mt + "\n"))
		h.Write(fingerprint(ct, body))
		sum := h.Sum(nil)
		caller := string(p.Kind) + ":" + p.Subject.String()
		ctx := context.WithoutCancel(r.Context()) // the claim is settled even when the client hangs up
		prior, err := s.idempotent.ReserveIdempotencyKey(r.Context(), caller, key, sum, idempotencyTTL, idempotencyStale)
		if err != nil {
			return err
		}
		if prior != nil {
			return replay(c, prior, sum)
		}
		settled := false
		defer func() {
			if !settled {
				if err := s.idempotent.ReleaseIdempotencyKey(ctx, caller, key); err != nil {
					loggerFrom(c).Warn("idempotency key not released", slog.String("error", err.Error()))
				}
			}
		}()
		res := c.Response()
		rec := &teeWriter{ResponseWriter: res.Writer}
		res.Writer = rec
		err = next(c)
		if err != nil {
			c.Error(err) // answer now, through the recorder, so that the answer is kept
		}
		res.Writer = rec.ResponseWriter
		if res.Status >= 500 || !res.Committed {
			return nil
		}
		answer := &essdir.IdempotentAnswer{Status: res.Status, Header: map[string]string{}, Body: rec.body.Bytes()}
		for _, name := range replayedHeaders {
			if v := res.Header().Get(name); v != "" {
				answer.Header[name] = v
			}
		}
		if err := s.idempotent.CompleteIdempotencyKey(ctx, caller, key, answer); err != nil {
			loggerFrom(c).Warn("idempotency key not completed", slog.String("error", err.Error()))
			return nil
		}
		settled = true
		return nil
	}
}

// replay answers a key seen before: its stored answer, or why not.
func replay(c echo.Context, prior *essdir.IdempotentAnswer, sum []byte) error {
	switch {
	case !bytes.Equal(prior.RequestHash, sum):
		return &essdir.Error{Code: essdir.EINVALID, Message: "this Idempotency-Key was used for another request",
			Fields: []essdir.FieldError{{Field: headerIdempotencyKey, Message: "was used with another body or path: choose a new key"}}}
	case !prior.Done:
		return &httpError{status: http.StatusConflict, detail: "a request with this Idempotency-Key is still running; retry later",
			headers: map[string]string{"Retry-After": "1"}}
	}
	h := c.Response().Header()
	for k, v := range prior.Header {
		h.Set(k, v)
	}
	h.Set("Idempotent-Replayed", "true")
	c.Response().WriteHeader(prior.Status)
	_, err := c.Response().Write(prior.Body)
	return err
}

// fingerprint is what a retry must repeat of a body: for JSON (and each
// line of NDJSON), its content — members in any order, any white space —
// so that a client re-encoding the same object on retry is not taken for
// another request; any other body, its bytes. A body that does not decode
// is kept as its bytes (the request refuses it anyway).
func fingerprint(contentType string, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case echo.MIMEApplicationJSON:
		if canon, ok := canonicalJSON(body); ok {
			return canon
		}
	case mimeNDJSON:
		var out []byte
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			if line = trimJSONSpace(line); len(line) == 0 {
				continue
			}
			canon, ok := canonicalJSON(line)
			if !ok {
				return body
			}
			out = append(append(out, canon...), '\n')
		}
		return out
	}
	return body
}

// canonicalJSON re-encodes one JSON value with its object members sorted
// by name and numbers kept as written. A value the server would refuse as
// ambiguous (a key twice, invalid UTF-8: checkJSONKeys) has no canonical
// form: decoding would keep one of its readings, and share it with a body
// that means that reading only.
func canonicalJSON(b []byte) ([]byte, bool) {
	if _, err := checkJSONKeys(b); err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	out, err := json.Marshal(v)
	return out, err == nil
}

func validIdempotencyKey(key string) bool {
	if len(key) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// teeWriter keeps a copy of the body it writes.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}
