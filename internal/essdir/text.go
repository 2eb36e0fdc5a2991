package essdir

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// CleanText returns s in Unicode NFC with surrounding white space removed, so
// that "Économie" typed on a Mac (NFD) and on Windows (NFC) are stored alike.
func CleanText(s string) string {
	return strings.TrimSpace(norm.NFC.String(s))
}

// hasControl reports whether s holds a control character other than tab and
// line breaks (PostgreSQL refuses NUL; the others are never meant).
func hasControl(s string) bool {
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// Fold lowers s and removes its accents ("Économie" → "economie"): the form
// used for slugs and accent-insensitive comparisons. A transform chain keeps
// state, so each call builds its own: one shared chain races between requests.
func Fold(s string) string {
	stripMarks := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(stripMarks, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("œ", "oe", "Œ", "oe", "æ", "ae", "Æ", "ae", "ß", "ss").Replace(out)
	return strings.ToLower(out)
}

// Slugify turns a name into a URL-friendly slug ("Le Champ des Sourires" →
// "le-champ-des-sourires"), at most 80 characters.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 80 {
		s = strings.TrimSuffix(s[:80], "-")
	}
	if s == "" {
		s = "structure"
	}
	return s
}
