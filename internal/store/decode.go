package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"
)

// The binary formats of the common column types, decoded without pgx's
// generic plans (native.go says why). Each decoder checks what it reads; a
// value it does not handle (a NULL inside an array, an infinite timestamp,
// a multi-dimensional array) goes through pgx's plan, which decides.

// nativeKind is how decodeRow reads a column: kindPlan through pgx's plan,
// the others directly.
type nativeKind uint8

const (
	kindPlan        nativeKind = iota
	kindText                   // text, varchar, char(n) → *string
	kindNullText               // text, varchar, char(n) → **string
	kindTextArray              // text[], varchar[] → *[]string
	kindUUID                   // uuid → *[16]byte
	kindFloat8                 // float8 → *float64
	kindNullFloat8             // float8 → **float64
	kindInt4                   // int4 → *int
	kindTimestamptz            // timestamptz → *time.Time
	kindDeletedAt              // timestamptz → *gorm.DeletedAt
	kindJSONB                  // jsonb, binary → a jsonScanner
	kindJSONText               // jsonb, text → a jsonScanner
)

// jsonScanner is a destination that reads a JSON document itself (without
// the copy and the interface boxing of sql.Scanner); it must not keep b.
type jsonScanner interface {
	scanJSON(b []byte) error
}

// nativeKindOf chooses the decoder of a column from its type, format and
// destination. Texts are the same bytes in both formats (pgx asks for them
// as text), jsonb too but for the binary format's version byte; the other
// types are decoded here in the binary format only.
func nativeKindOf(oid uint32, format int16, dest any) nativeKind {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID:
		switch dest.(type) {
		case *string:
			return kindText
		case **string:
			return kindNullText
		}
	case pgtype.JSONBOID:
		if _, ok := dest.(jsonScanner); ok {
			if format == pgtype.TextFormatCode {
				return kindJSONText
			}
			return kindJSONB
		}
	}
	if format != pgtype.BinaryFormatCode {
		return kindPlan
	}
	switch oid {
	case pgtype.TextArrayOID, pgtype.VarcharArrayOID:
		if _, ok := dest.(*[]string); ok {
			return kindTextArray
		}
	case pgtype.UUIDOID:
		if _, ok := dest.(*[16]byte); ok {
			return kindUUID
		}
	case pgtype.Float8OID:
		switch dest.(type) {
		case *float64:
			return kindFloat8
		case **float64:
			return kindNullFloat8
		}
	case pgtype.Int4OID:
		if _, ok := dest.(*int); ok {
			return kindInt4
		}
	case pgtype.TimestamptzOID:
		switch dest.(type) {
		case *time.Time:
			return kindTimestamptz
		case *gorm.DeletedAt:
			return kindDeletedAt
		}
	}
	return kindPlan
}

// textSpan is where a text value of the row lies in the row's one string:
// column col (element elem of an array column, else -1), bytes [off, end).
type textSpan struct {
	col, elem int
	off, end  int
}

// decodeRow reads one row's raw values into dest. Every text of the row
// (array elements included) is copied into one string and each value is a
// substring of it; the nullable texts and numbers of the row share one
// backing array each: a row costs a handful of allocations, not one or two
// per column. spans is scratch space, returned for reuse.
func decodeRow(plans []columnPlan, raw [][]byte, dest []any, spans []textSpan) ([]textSpan, error) {
	var text strings.Builder
	size, nullTexts, nullFloats := 0, 0, 0
	for i, p := range plans {
		switch p.kind {
		case kindText, kindTextArray:
			size += len(raw[i])
		case kindNullText:
			size += len(raw[i])
			if raw[i] != nil {
				nullTexts++
			}
		case kindNullFloat8:
			if raw[i] != nil {
				nullFloats++
			}
		}
	}
	text.Grow(size)
	var err error
	// First pass: the texts into the builder, everything else into dest.
	for i, p := range plans {
		v := raw[i]
		switch p.kind {
		case kindText:
			if v == nil {
				return spans, fmt.Errorf("column %q: NULL into a string", p.name)
			}
			spans = append(spans, textSpan{i, -1, text.Len(), text.Len() + len(v)})
			text.Write(v)
		case kindNullText:
			if v == nil {
				*dest[i].(**string) = nil
				continue
			}
			spans = append(spans, textSpan{i, -1, text.Len(), text.Len() + len(v)})
			text.Write(v)
		case kindTextArray:
			var ok bool
			if spans, ok = textArraySpans(v, i, &text, spans); !ok {
				err = p.plan.Scan(v, dest[i]) // pgx decides (NULL elements, dimensions)
			}
		case kindUUID:
			if len(v) != 16 {
				err = p.plan.Scan(v, dest[i])
				break
			}
			copy(dest[i].(*[16]byte)[:], v)
		case kindFloat8, kindNullFloat8:
			if len(v) != 8 {
				err = p.plan.Scan(v, dest[i])
			} else if p.kind == kindFloat8 {
				*dest[i].(*float64) = math.Float64frombits(binary.BigEndian.Uint64(v))
			}
		case kindInt4:
			if len(v) != 4 {
				err = p.plan.Scan(v, dest[i])
				break
			}
			*dest[i].(*int) = int(int32(binary.BigEndian.Uint32(v)))
		case kindTimestamptz:
			t, ok := timestamptz(v)
			if !ok {
				err = p.plan.Scan(v, dest[i])
				break
			}
			*dest[i].(*time.Time) = t
		case kindDeletedAt:
			if v == nil {
				*dest[i].(*gorm.DeletedAt) = gorm.DeletedAt{}
				break
			}
			t, ok := timestamptz(v)
			if !ok {
				err = p.plan.Scan(v, dest[i])
				break
			}
			*dest[i].(*gorm.DeletedAt) = gorm.DeletedAt{Time: t, Valid: true}
		case kindJSONB:
			if len(v) == 0 || v[0] != 1 { // NULL, or not jsonb's version 1
				err = p.plan.Scan(v, dest[i])
				break
			}
			err = dest[i].(jsonScanner).scanJSON(v[1:])
		case kindJSONText:
			if v == nil {
				err = p.plan.Scan(v, dest[i])
				break
			}
			err = dest[i].(jsonScanner).scanJSON(v)
		default:
			err = p.plan.Scan(v, dest[i])
		}
		if err != nil {
			return spans, fmt.Errorf("column %q: %w", p.name, err)
		}
	}
	// Second pass: the texts, as substrings of the row's one string.
	all := text.String()
	var texts []string
	if nullTexts > 0 {
		texts = make([]string, 0, nullTexts)
	}
	for k := 0; k < len(spans); {
		sp := spans[k]
		switch plans[sp.col].kind {
		case kindText:
			*dest[sp.col].(*string) = all[sp.off:sp.end]
			k++
		case kindNullText:
			texts = append(texts, all[sp.off:sp.end])
			*dest[sp.col].(**string) = &texts[len(texts)-1]
			k++
		case kindTextArray:
			n := 0
			for k+n < len(spans) && spans[k+n].col == sp.col {
				n++
			}
			if sp.elem < 0 { // an empty array: no element, one marker span
				*dest[sp.col].(*[]string) = []string{}
				k++
				continue
			}
			out := make([]string, n)
			for j := range out {
				out[j] = all[spans[k+j].off:spans[k+j].end]
			}
			*dest[sp.col].(*[]string) = out
			k += n
		}
	}
	if nullFloats > 0 {
		floats := make([]float64, 0, nullFloats)
		for i, p := range plans {
			if p.kind == kindNullFloat8 {
				if raw[i] == nil {
					*dest[i].(**float64) = nil
				} else if len(raw[i]) == 8 {
					floats = append(floats, math.Float64frombits(binary.BigEndian.Uint64(raw[i])))
					*dest[i].(**float64) = &floats[len(floats)-1]
				}
			}
		}
	} else {
		for i, p := range plans {
			if p.kind == kindNullFloat8 && raw[i] == nil {
				*dest[i].(**float64) = nil
			}
		}
	}
	return spans, nil
}

// textArraySpans reads a one-dimensional text[] without NULLs (binary
// format: ndim, has-nulls flag, element type, then per dimension its length
// and lower bound, then each element's length and bytes) into text, one
// span per element, or one span with elem -1 for an empty array. A NULL
// array, a NULL element or more dimensions: false, for pgx to read.
func textArraySpans(v []byte, col int, text *strings.Builder, spans []textSpan) ([]textSpan, bool) {
	if len(v) < 12 {
		return spans, false
	}
	ndim := int32(binary.BigEndian.Uint32(v))
	if ndim == 0 {
		return append(spans, textSpan{col, -1, 0, 0}), true
	}
	if ndim != 1 || len(v) < 20 {
		return spans, false
	}
	n := int(int32(binary.BigEndian.Uint32(v[12:])))
	if n < 0 {
		return spans, false
	}
	if n == 0 {
		return append(spans, textSpan{col, -1, 0, 0}), true
	}
	mark := len(spans)
	rest := v[20:]
	for e := 0; e < n; e++ {
		if len(rest) < 4 {
			return spans[:mark], false
		}
		l := int(int32(binary.BigEndian.Uint32(rest)))
		if l < 0 || len(rest)-4 < l { // a NULL element, or a short value
			return spans[:mark], false
		}
		spans = append(spans, textSpan{col, e, text.Len(), text.Len() + l})
		text.Write(rest[4 : 4+l])
		rest = rest[4+l:]
	}
	if len(rest) != 0 {
		return spans[:mark], false
	}
	return spans, true
}

// microsecFromUnixEpochToY2K is where PostgreSQL's timestamps start.
const microsecFromUnixEpochToY2K = 946_684_800 * 1_000_000

// timestamptz decodes a binary timestamptz as pgx does (time.Unix, in the
// local zone). Only years 1 to 9999 are read here; infinities and the
// rest of PostgreSQL's range are left to pgx (false).
func timestamptz(v []byte) (time.Time, bool) {
	if len(v) != 8 {
		return time.Time{}, false
	}
	us := int64(binary.BigEndian.Uint64(v))
	const (
		year1   = -63_082_281_600_000_000 // 0001-01-01 UTC, in µs from 2000-01-01
		year10k = 252_455_616_000_000_000 // 10000-01-01 UTC
	)
	if us < year1 || us >= year10k {
		return time.Time{}, false
	}
	return time.Unix(microsecFromUnixEpochToY2K/1_000_000+us/1_000_000,
		(microsecFromUnixEpochToY2K%1_000_000*1_000)+(us%1_000_000*1_000)), true
}
