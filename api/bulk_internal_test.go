package api

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// TestBulkItemsReadOnEveryCoreAsWhole: a bulk body is cut into its items
// and each is checked and decoded on its own (readBulkItems); the answer,
// items or error, is the one reading the whole body at once gives
// (bulkItems, decodeItems), whatever the body's fault.
func TestBulkItemsReadOnEveryCoreAsWhole(t *testing.T) {
	item := `{"name": "Régie de quartier", "source": "rtes", "external_id": "%d", "sectors": ["insertion"], "address": {"city": "Dijon"}}`
	items := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strings.ReplaceAll(item, "%d", strings.Repeat("x", i+1)))
		}
		return b.String()
	}
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	bodies := map[string]string{
		"Valid":                     `{"items": [` + items(3) + `]}`,
		"ValidNoSpace":              `{"items":[` + items(2) + `]}`,
		"ValidSpacesEverywhere":     " \n{ \"items\" :\t[ " + items(2) + " ] } \n",
		"Empty":                     `{"items": []}`,
		"StringsWithBrackets":       `{"items": [{"name": "a ] } [ { \" \\\\", "source": "s", "external_id": "1"}]}`,
		"ErrItemsNull":              `{"items": null}`,
		"ErrNoItems":                `{}`,
		"ErrOtherMember":            `{"items": [], "more": 1}`,
		"ErrMemberBefore":           `{"more": 1, "items": []}`,
		"ErrItemsTwice":             `{"items": [], "items": []}`,
		"ErrItemsInAnotherCase":     `{"Items": [` + items(1) + `]}`,
		"EscapedKey":                `{"\u0069tems": [` + items(1) + `]}`,
		"ErrTrailingData":           `{"items": []} {}`,
		"ErrTrailingComma":          `{"items": [` + items(2) + `,]}`,
		"ErrMissingComma":           `{"items": [` + items(1) + ` ` + items(1) + `]}`,
		"ErrUnbalanced":             `{"items": [{"name": "a"]}`,
		"ErrUnclosedString":         `{"items": [{"name": "a}]}`,
		"ErrSyntaxInItem":           `{"items": [{"name": tru, "source": "s", "external_id": "1"}]}`,
		"ErrBadNumberInItem":        `{"items": [{"name": "a", "lat": 1.2.3, "source": "s", "external_id": "1"}]}`,
		"ErrItemNotObject":          `{"items": [1, "a", null, []]}`,
		"ErrKeyTwiceInItem":         `{"items": [{"name": "a", "name": "b", "source": "s", "external_id": "1"}]}`,
		"ErrKeyInAnotherCaseInItem": `{"items": [{"name": "a", "Name": "b", "source": "s", "external_id": "1"}]}`,
		"ErrUnknownFieldInItem":     `{"items": [{"name": "a", "colour": "b", "source": "s", "external_id": "1"}]}`,
		"ErrLoneSurrogate":          `{"items": [{"name": "a\udc00", "source": "s", "external_id": "1"}]}`,
		"ErrInvalidUTF8":            "{\"items\": [{\"name\": \"a\xff\", \"source\": \"s\", \"external_id\": \"1\"}]}",
		"ErrBadEscape":              `{"items": [{"name": "a\x", "source": "s", "external_id": "1"}]}`,
		"ErrBadEscapeThenKeyTwice":  `{"items": [{"summary": "a\x", "name": "a", "name": "b", "source": "s", "external_id": "1"}]}`,
		"ErrBadEscapeInKey":         `{"items": [{"na\me": "a", "source": "s", "external_id": "1"}]}`,
		"Escapes":                   `{"items": [{"name": "\"\\\/\b\f\n\r\t\u00e9", "source": "s", "external_id": "1"}]}`,
		"NullName":                  `{"items": [{"name": null, "source": "s", "external_id": "1"}]}`,
		"EmptyName":                 `{"items": [{"name": "", "source": "s", "external_id": "1"}]}`,
		"ErrUnknownFieldAtDepth32":  `{"items": [{"name": "a", "source": "s", "external_id": "1", "x": ` + deep(29) + `}]}`,
		"ErrDepth33":                `{"items": [{"name": "a", "source": "s", "external_id": "1", "x": ` + deep(30) + `}]}`,
		"ErrTooMany":                `{"items": [` + strings.Repeat(`{},`, essdir.MaxBulkItems) + `{}]}`,
		"ErrByteOrderMark":          "\ufeff" + `{"items": []}`,
		"ErrNotAnObject":            `[` + items(1) + `]`,
		"ErrEmptyBody":              ``,
		"ItemsLeftToTheWriteRule":   `{"items": [{"source": "s"}, {"name": "b"}]}`,
	}
	e := echo.New()
	for name, body := range bodies {
		lines := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(body), `{"items": [`), `]}`), "},{", "}\n{")
		for _, f := range []struct{ ct, body string }{{echo.MIMEApplicationJSON, body}, {mimeNDJSON, lines}} {
			t.Run(name+"/"+f.ct, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, "/", nil)
				req.Header.Set(echo.HeaderContentType, f.ct)
				c := e.NewContext(req, httptest.NewRecorder())
				got, err := readBulkItems[essdir.Structure, StructureInput](c, []byte(f.body))
				raws, plain, wantErr := bulkItems(c, []byte(f.body))
				var want []essdir.BulkItem[essdir.Structure]
				if wantErr == nil {
					want, wantErr = decodeItems[essdir.Structure, StructureInput](raws, plain)
				}
				if !reflect.DeepEqual(err, wantErr) || !reflect.DeepEqual(got, want) {
					t.Fatalf("cut into items: %v, %+v\nread whole: %v, %+v", err, got, wantErr, want)
				}
				if strings.HasPrefix(name, "Err") != (err != nil) && f.ct == echo.MIMEApplicationJSON {
					t.Fatalf("error %v, want one: %v", err, strings.HasPrefix(name, "Err"))
				}
			})
		}
	}
}

// TestSplitItems: where the items of a body end.
func TestSplitItems(t *testing.T) {
	for body, want := range map[string][]string{
		`{"items": []}`:                       {},
		`{"items":[{"a":"]}"},{"b":[1,{}]}]}`: {`{"a":"]}"}`, `{"b":[1,{}]}`},
		`{"items": [ 1 , "x\"]" , null ] }`:   {`1`, `"x\"]"`, `null`},
		`{"items": [{"a": "\\"}]}`:            {`{"a": "\\"}`},
		`{"items": [{]}`:                      nil,
		`{"items": [{}}`:                      nil,
		`{"items": [,]}`:                      nil,
		`{"items": [{}]`:                      nil,
		`{"items": [{}]}x`:                    nil,
		`{"items": [{}], "b": 1}`:             nil,
		` {"items" : [ "a ]`:                  nil,
	} {
		raws := splitItems([]byte(body))
		var got []string
		if raws != nil {
			got = []string{}
			for _, r := range raws {
				got = append(got, string(r))
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

// BenchmarkReadBulkItems: reading a body of 1,000 items (~840 bytes each,
// as the bulk benchmark's), cut into items and read on every core.
func BenchmarkReadBulkItems(b *testing.B) {
	item := `{"name":"Recyclerie territoire mobilier culture %d","legal_form":"ess_company","siret":"40007919000007",` +
		`"summary":"solidaire théâtre économie solidaire territoire économie solidaire sociale",` +
		`"description":"solidaire rural sociale solidaire association solidaire compost solidaire services solidaire association méthanisation sociale locale réparation solidaire sociale sport circuit solidaire économie territoire couture solidaire solidaire solidaire services culture jeunesse durable",` +
		`"labels":["ei"],"sectors":["reuse","food"],"address":{"street":"72 rue association","postal_code":"57635","city":"Fleisheim","insee_code":"57216"},` +
		`"location":{"lat":48.16734,"lon":-0.92885},"website":"https://www.recyclerieterritoiremobilierculture0.fr",` +
		`"email":"contact@recyclerieterritoiremobilierculture0.fr","networks":["CRESS"],"source":"bench","external_id":"ext-%d"}`
	lines := make([]string, essdir.MaxBulkItems)
	for i := range lines {
		lines[i] = strings.ReplaceAll(item, "%d", strconv.Itoa(i))
	}
	for _, f := range []struct{ ct, body string }{
		{echo.MIMEApplicationJSON, `{"items":[` + strings.Join(lines, ",") + `]}`},
		{mimeNDJSON, strings.Join(lines, "\n")},
	} {
		b.Run(f.ct, func(b *testing.B) {
			c := bodyContext(f.ct)
			b.SetBytes(int64(len(f.body)))
			for b.Loop() {
				if items, err := readBulkItems[essdir.Structure, StructureInput](c, []byte(f.body)); err != nil || len(items) != len(lines) {
					b.Fatal(err)
				}
			}
		})
	}
}

// bodyContext is the context of a POST whose body has this content type.
func bodyContext(contentType string) echo.Context {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set(echo.HeaderContentType, contentType)
	return echo.New().NewContext(req, httptest.NewRecorder())
}
