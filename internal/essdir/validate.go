package essdir

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// checkText applies the rules of every text field: required or not, at most
// max characters, and text a reader can trust (see textProblem).
func checkText(v *Violations, field, s string, max int, required bool) {
	switch {
	case s == "" && required:
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters", max)
	default:
		if p := textProblem(s); p != "" {
			v.Add(field, "%s", p)
		}
	}
}

func checkLen(v *Violations, field string, n, max int) {
	if n > max {
		v.Add(field, "must have at most %d items", max)
	}
}

func checkCodes[T ~string](v *Violations, field string, codes []T, vocab *Vocabulary) {
	checkLen(v, field, len(codes), 30)
	for i, c := range codes {
		if !vocab.Has(string(c)) {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "unknown code %q (see /v1/vocabularies/%s)", c, vocab.Name)
		}
	}
}

func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// dedupe cleans each value and drops empty ones and repeats, keeping order.
func dedupe[T comparable](in []T, clean func(T) T) []T {
	out := make([]T, 0, len(in))
	seen := make(map[T]bool, len(in))
	var zero T
	for _, x := range in {
		x = clean(x)
		if x == zero || seen[x] {
			continue
		}
		seen[x] = true
		out = append(out, x)
	}
	return out
}

// checkContact checks how to reach a record's organisation: its website,
// e-mail and phone, each optional.
func checkContact(v *Violations, website, email, phone string) {
	if website != "" && !ValidWebURL(website) {
		v.Add("website", "must be an absolute http or https URL")
	}
	if email != "" && !ValidEmail(email) {
		v.Add("email", "must be an e-mail address")
	}
	if phone != "" && !ValidPhone(phone) {
		v.Add("phone", "must be a phone number")
	}
}

// checkOrigin checks where a record comes from: a partner's source code and
// its id there, unique within the source.
func checkOrigin(v *Violations, source, externalID string) {
	if source != "" && (!sourcePattern.MatchString(source) || len(source) > 64) {
		v.Add("source", "must be lower-case letters, digits, '.', '_' or '-', at most 64 characters")
	}
	checkText(v, "external_id", externalID, 200, false)
	if externalID != "" && source == "" {
		v.Add("external_id", "needs a source: an external id is unique within its source")
	}
}

var eurosPattern = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]{1,2}))?$`)

// euros writes an amount in euros with exactly two decimals ("12.5" →
// "12.50", "007" → "7.00"); ok is false unless s is an amount of at least 0
// with at most 2 decimals and digits digits before the point. It never goes
// through a float, so no cent is ever lost or invented. Event prices and
// collectivity links' amounts share it.
func euros(s string, digits int) (canonical string, ok bool) {
	m := eurosPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	whole := strings.TrimLeft(m[1], "0")
	if whole == "" {
		whole = "0"
	}
	if len(whole) > digits {
		return "", false
	}
	return whole + "." + (m[2] + "00")[:2], true
}

// canonicalEuros is s in its canonical form (Derive), or s as it is when it
// is no amount, for checkEuros to report.
func canonicalEuros(s string, digits int) string {
	if c, ok := euros(s, digits); ok {
		return c
	}
	return s
}

// checkEuros records a violation unless s is empty or an amount, and
// reports whether it was fine.
func checkEuros(v *Violations, field, s string, digits int) bool {
	if _, ok := euros(s, digits); ok || s == "" {
		return true
	}
	v.Add(field, "must be a decimal string of at least 0 with at most 2 decimals and %d digits before the point (\"12.50\")", digits)
	return false
}
