package essdir

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// laPosteSIREN is the SIREN of La Poste, whose thousands of establishments were
// numbered before the Luhn rule: their SIRETs pass "digit sum divisible by 5"
// instead. Its head office, laPosteHeadOffice, is an ordinary Luhn number.
const (
	laPosteSIREN      = "356000000"
	laPosteHeadOffice = "35600000000048"
)

// luhn reports whether a string of ASCII digits passes the Luhn checksum.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidSIREN reports whether s is a 9-digit SIREN with a valid Luhn key.
func ValidSIREN(s string) bool {
	return len(s) == 9 && allDigits(s) && luhn(s)
}

// ValidSIRET reports whether s is a 14-digit SIRET whose key is valid: Luhn
// for everyone, digit sum divisible by 5 for La Poste's establishments.
func ValidSIRET(s string) bool {
	if len(s) != 14 || !allDigits(s) {
		return false
	}
	if strings.HasPrefix(s, laPosteSIREN) && s != laPosteHeadOffice {
		sum := 0
		for i := 0; i < len(s); i++ {
			sum += int(s[i] - '0')
		}
		return sum%5 == 0
	}
	return luhn(s)
}

var (
	rnaPattern    = regexp.MustCompile(`^W(?:[0-9]{9}|2[AB][0-9]{7})$`)
	postalPattern = regexp.MustCompile(`^[0-9]{5}$`)
	inseePattern  = regexp.MustCompile(`^(?:[0-9]{2}|2[AB])[0-9]{3}$`)
	phonePattern  = regexp.MustCompile(`^\+?[0-9 .()\-]{6,30}$`)
)

// ValidRNA reports whether s is a number of the Répertoire national des
// associations: W followed by nine digits (Corsican files start W2A / W2B).
func ValidRNA(s string) bool { return rnaPattern.MatchString(s) }

// ValidPostalCode reports whether s is a French postal code whose first digits
// name a département (or Monaco and the overseas collectivities, 98xxx).
func ValidPostalCode(s string) bool {
	if !postalPattern.MatchString(s) || strings.HasPrefix(s, "00") {
		return false
	}
	return strings.HasPrefix(s, "98") || DepartmentFromPostalCode(s) != ""
}

// ValidINSEECode reports whether s is the official code of a commune: the
// département's code (2A / 2B in Corsica, three digits overseas) and a number.
func ValidINSEECode(s string) bool {
	return inseePattern.MatchString(s) && DepartmentFromINSEE(s) != ""
}

// ValidPhone accepts the ways people write phone numbers ("03 80 50 90 47",
// "+33 3.80.50.90.47") and refuses text that is plainly something else.
func ValidPhone(s string) bool {
	if !phonePattern.MatchString(s) {
		return false
	}
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n >= 6 && n <= 15
}

// ValidEmail reports whether s is a bare e-mail address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// ValidWebURL reports whether s is an absolute http(s) URL with a host.
func ValidWebURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// DepartmentFromINSEE returns the code of the département of a commune
// ("21231" → "21", "2A004" → "2A", "97411" → "974"), or "" when unknown.
func DepartmentFromINSEE(insee string) string {
	if len(insee) != 5 {
		return ""
	}
	code := insee[:2]
	if code == "97" || code == "98" {
		code = insee[:3]
	}
	if _, ok := departmentRegions[code]; !ok {
		return ""
	}
	return code
}

// DepartmentFromPostalCode returns the département a postal code belongs to,
// or "" when it names none (Monaco, the overseas collectivities). Corsica's
// postal codes start with 20: 200xx and 201xx are Corse-du-Sud, the rest
// Haute-Corse.
func DepartmentFromPostalCode(postal string) string {
	if len(postal) != 5 || !allDigits(postal) {
		return ""
	}
	code := postal[:2]
	switch {
	case code == "20":
		if postal[2] <= '1' {
			return "2A"
		}
		return "2B"
	case code == "97" || code == "98":
		code = postal[:3]
	}
	if _, ok := departmentRegions[code]; !ok {
		return ""
	}
	return code
}

// RegionOfDepartment returns the INSEE code of the région a département is in.
func RegionOfDepartment(department string) string {
	return departmentRegions[department]
}

// departmentRegions maps each département to its région (2016 regions, INSEE codes).
var departmentRegions = map[string]string{
	"01": "84", "02": "32", "03": "84", "04": "93", "05": "93", "06": "93", "07": "84", "08": "44",
	"09": "76", "10": "44", "11": "76", "12": "76", "13": "93", "14": "28", "15": "84", "16": "75",
	"17": "75", "18": "24", "19": "75", "21": "27", "22": "53", "23": "75", "24": "75", "25": "27",
	"26": "84", "27": "28", "28": "24", "29": "53", "2A": "94", "2B": "94", "30": "76", "31": "76",
	"32": "76", "33": "75", "34": "76", "35": "53", "36": "24", "37": "24", "38": "84", "39": "27",
	"40": "75", "41": "24", "42": "84", "43": "84", "44": "52", "45": "24", "46": "76", "47": "75",
	"48": "76", "49": "52", "50": "28", "51": "44", "52": "44", "53": "52", "54": "44", "55": "44",
	"56": "53", "57": "44", "58": "27", "59": "32", "60": "32", "61": "28", "62": "32", "63": "84",
	"64": "75", "65": "76", "66": "76", "67": "44", "68": "44", "69": "84", "70": "27", "71": "27",
	"72": "52", "73": "84", "74": "84", "75": "11", "76": "28", "77": "11", "78": "11", "79": "75",
	"80": "32", "81": "76", "82": "76", "83": "93", "84": "93", "85": "52", "86": "75", "87": "75",
	"88": "44", "89": "27", "90": "27", "91": "11", "92": "11", "93": "11", "94": "11", "95": "11",
	"971": "01", "972": "02", "973": "03", "974": "04", "976": "06",
	// The overseas collectivities are their own "région" in the official
	// geography (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin,
	// the TAAF, Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie, Clipperton).
	"975": "975", "977": "977", "978": "978", "984": "984", "986": "986", "987": "987", "988": "988", "989": "989",
}

// ValidRegionCode reports whether s is the INSEE code of a région.
func ValidRegionCode(s string) bool {
	for _, r := range departmentRegions {
		if r == s {
			return true
		}
	}
	return false
}

// ValidDepartmentCode reports whether s is the code of a département.
func ValidDepartmentCode(s string) bool { return departmentRegions[s] != "" }

// DepartmentsOfRegion returns the départements of a région, in code order.
func DepartmentsOfRegion(region string) []string {
	var out []string
	for d, r := range departmentRegions {
		if r == region {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}
