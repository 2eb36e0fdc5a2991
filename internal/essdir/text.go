package essdir

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// CleanText returns s in Unicode NFC with surrounding white space removed, so
// that "Économie" typed on a Mac (NFD) and on Windows (NFC) are stored alike.
func CleanText(s string) string {
	return strings.TrimSpace(norm.NFC.String(s))
}

// textProblem says why s is not text a reader can trust, or "": bytes that
// are not UTF-8 (and the U+FFFD a decoder left for them or for a lone
// surrogate), control characters other than tab and line breaks (PostgreSQL
// refuses NUL; the others are never meant), bidirectional overrides and
// isolates (they make text read otherwise than it is stored: "Trojan Source"),
// and text made only of invisible characters (a name of zero-width spaces).
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be UTF-8 text"
	}
	visible := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "must be UTF-8 text (it holds an invalid byte or a lone surrogate)"
		case r == '\t' || r == '\n' || r == '\r':
		case unicode.IsControl(r):
			return "must not contain control characters"
		case isBidiControl(r):
			return "must not contain bidirectional override or isolate characters"
		case !visible && !invisible(r):
			visible = true
		}
	}
	if s != "" && !visible {
		return "must contain visible characters"
	}
	return ""
}

// isBidiControl reports the explicit directional formatting characters
// (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// invisible reports characters that draw nothing: white space, format
// characters (zero-width space and joiners, BOM, soft hyphen), lone
// combining marks and the blank fillers of Braille and Hangul.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) ||
		r == '\u2800' || r == '\u3164' || r == '\u115f' || r == '\u1160' || r == '\uffa0'
}

// Fold lowers s and removes its accents ("Économie" → "economie"): the form
// used for slugs and accent-insensitive comparisons. ASCII text has no
// accent to remove and is only lowered. A transform chain keeps state, so
// one is never shared between calls at once: each call takes its own from
// a pool (building one per call cost more than the rest of a bulk write's
// checks).
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	stripMarks := foldChains.Get().(transform.Transformer)
	stripMarks.Reset()
	out, _, err := transform.String(stripMarks, s)
	foldChains.Put(stripMarks)
	if err != nil {
		out = s
	}
	return strings.ToLower(ligatures.Replace(out))
}

var (
	foldChains = sync.Pool{New: func() any {
		return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	}}
	ligatures = strings.NewReplacer("œ", "oe", "Œ", "oe", "æ", "ae", "Æ", "ae", "ß", "ss")
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Slugify turns a name into a URL-friendly slug ("Le Champ des Sourires" →
// "le-champ-des-sourires"), at most MaxSlugLen characters.
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
	s := TrimSlug(b.String(), MaxSlugLen)
	if s == "" {
		s = "structure"
	}
	return s
}

// MaxSlugLen is the longest slug, suffix included.
const MaxSlugLen = 80

// TrimSlug cuts a slug to at most max bytes without a trailing dash.
func TrimSlug(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.TrimSuffix(s, "-")
}
