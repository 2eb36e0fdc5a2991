package api

import (
	"bytes"
	"encoding/json"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// input is the body of a resource's POST and PUT, mapped to its domain
// record. The mapping only translates the wire format: the write rule of
// essdir.Prepare judges the result, with the header values the body echoed.
type input[D any] interface {
	toDomain() (*D, essdir.Echo, error)
	// nonNullable names the members that may be left out but not set to
	// null (status: an update keeps it unless it names a new one).
	nonNullable() []string
}

// decodeInput reads a POST or PUT body into In.
func decodeInput[D, In any, PI interface {
	*In
	input[D]
}](body []byte) (*In, error) {
	plain, err := checkJSONKeys(body)
	if err != nil {
		return nil, err
	}
	return decodeCheckedInput[D, In, PI](body, plain)
}

// decodeCheckedInput is decodeInput for a body checkJSONKeys already
// passed; plain is what it said.
func decodeCheckedInput[D, In any, PI interface {
	*In
	input[D]
}](body []byte, plain bool) (*In, error) {
	in := new(In)
	if err := decodeChecked(body, in, plain); err != nil {
		return nil, err
	}
	if err := refuseNulls(body, PI(in).nonNullable()); err != nil {
		return nil, err
	}
	return in, nil
}

// ref reads an optional reference of a body: left out, it is uuid.Nil (no
// record); the nil UUID itself names no record either, and is refused
// rather than silently read as "none".
func ref(bad *essdir.Violations, field string, id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	if *id == uuid.Nil {
		bad.Add(field, "is the nil UUID, which names no record: leave the member out for none")
	}
	return *id
}

// refuseNulls answers 422 when the body sets one of these members to null
// or to an empty string.
func refuseNulls(body []byte, members []string) error {
	// A member set to null or "" holds these bytes; most bodies hold
	// neither, and need not be read again (a third of a bulk item's
	// decoding).
	if len(members) == 0 || (!bytes.Contains(body, []byte("null")) && !bytes.Contains(body, []byte(`""`))) {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return malformed("", "the request body must be a JSON object")
	}
	var v essdir.Violations
	for _, m := range members {
		if raw, ok := top[m]; ok && (string(raw) == "null" || string(raw) == `""`) {
			v.Add(m, "cannot be null or empty: leave it out to keep the stored value")
		}
	}
	return v.Err()
}

// replaceChange is the change of a PUT: the body replaces the stored
// record, once If-Match holds on the locked row.
func replaceChange[D any, P essdir.Writable[D], In any, PI interface {
	*In
	input[D]
}](c echo.Context, body []byte) (essdir.Change[D], error) {
	in, err := decodeInput[D, In, PI](body)
	if err != nil {
		return nil, err
	}
	return func(stored *D) (*D, essdir.Echo, error) {
		if err := checkIfMatch(c, P(stored).Head()); err != nil {
			return nil, essdir.Echo{}, err
		}
		return PI(in).toDomain()
	}, nil
}

// patchChange is the change of a PATCH (JSON Merge Patch, RFC 7396): the
// patch is merged into the editor's view of the record and the result is
// judged as a PUT body. The merge is computed before the row is locked,
// against snapshot, and again under the lock only if the record moved
// meanwhile, so that no lock is held while a large patch is merged. load
// reads the snapshot once the patch itself is known to be well formed.
func patchChange[D any, P essdir.Writable[D], In any, PI interface {
	*In
	input[D]
}](c echo.Context, patch []byte, load func() (*D, error), view func(*D) any) (essdir.Change[D], error) {
	var members map[string]json.RawMessage
	if err := decodeStrict(patch, &members); err != nil {
		return nil, err
	}
	// A member the merge would not find ({"Status": null} removes nothing)
	// must still be refused: the patch names fields of In, exactly.
	if err := exactNames(patch, reflect.TypeOf(new(In)), ""); err != nil {
		return nil, err
	}
	if err := refuseNulls(patch, PI(new(In)).nonNullable()); err != nil {
		return nil, err
	}
	snapshot, err := load()
	if err != nil {
		return nil, err
	}
	merge := func(cur *D) (*In, error) {
		doc, err := json.Marshal(view(cur))
		if err != nil {
			return nil, err
		}
		merged, err := jsonpatch.MergePatch(doc, patch)
		if err != nil {
			return nil, malformed("", "the merge patch cannot be applied")
		}
		return decodeInput[D, In, PI](merged)
	}
	early, earlyErr := merge(snapshot)
	return func(stored *D) (*D, essdir.Echo, error) {
		if err := checkIfMatch(c, P(stored).Head()); err != nil {
			return nil, essdir.Echo{}, err
		}
		in, err := early, earlyErr
		if P(stored).Head().Version != P(snapshot).Head().Version {
			in, err = merge(stored)
		}
		if err != nil {
			return nil, essdir.Echo{}, err
		}
		return PI(in).toDomain()
	}, nil
}

// ifMatchCheck is the precondition of a DELETE, run on the locked row.
func ifMatchCheck[D any, P essdir.Writable[D]](c echo.Context) func(*D) error {
	return func(stored *D) error { return checkIfMatch(c, P(stored).Head()) }
}
