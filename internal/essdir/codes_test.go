package essdir_test

import (
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

func TestValidSIRET(t *testing.T) {
	tests := []struct {
		siret string
		want  bool
	}{
		{"73282932000074", true},
		{"73282932000075", false},  // key off by one
		{"7328293200007", false},   // 13 digits
		{"732829320000740", false}, // 15 digits
		{"7328293200007A", false},
		{"", false},
		{"35600000000048", true},  // La Poste head office: Luhn
		{"35600000049837", true},  // La Poste establishment: digit sum 45
		{"35600000049838", false}, // digit sum 46
		{"35600000000049", false}, // head office number, wrong key
	}
	for _, tt := range tests {
		if got := essdir.ValidSIRET(tt.siret); got != tt.want {
			t.Errorf("ValidSIRET(%q) = %v, want %v", tt.siret, got, tt.want)
		}
	}
}

func TestValidSIREN(t *testing.T) {
	tests := map[string]bool{"732829320": true, "356000000": true, "732829321": false, "73282932": false, "73282932A": false}
	for in, want := range tests {
		if got := essdir.ValidSIREN(in); got != want {
			t.Errorf("ValidSIREN(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidRNA(t *testing.T) {
	tests := map[string]bool{"W212001234": true, "W2A1234567": true, "W21200123": false, "X212001234": false, "w212001234": false, "W2120012345": false}
	for in, want := range tests {
		if got := essdir.ValidRNA(in); got != want {
			t.Errorf("ValidRNA(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPostalAndINSEE(t *testing.T) {
	postal := map[string]bool{"21000": true, "20000": true, "97400": true, "98000": true, "00100": false, "2100": false, "2100A": false, "96000": false}
	for in, want := range postal {
		if got := essdir.ValidPostalCode(in); got != want {
			t.Errorf("ValidPostalCode(%q) = %v, want %v", in, got, want)
		}
	}
	insee := map[string]bool{"21231": true, "2A004": true, "2B033": true, "97411": true, "2C004": false, "20004": false, "97502": true, "97911": false, "98818": true, "2123": false, "96001": false}
	for in, want := range insee {
		if got := essdir.ValidINSEECode(in); got != want {
			t.Errorf("ValidINSEECode(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDeriveTerritory(t *testing.T) {
	tests := []struct {
		addr               essdir.Address
		department, region string
	}{
		{essdir.Address{INSEECode: "21231"}, "21", "27"},                      // Dijon
		{essdir.Address{PostalCode: "25300"}, "25", "27"},                     // Pontarlier
		{essdir.Address{PostalCode: "20000"}, "2A", "94"},                     // Ajaccio
		{essdir.Address{PostalCode: "20200"}, "2B", "94"},                     // Bastia
		{essdir.Address{PostalCode: "97400"}, "974", "04"},                    // Saint-Denis, La Réunion
		{essdir.Address{INSEECode: "21355", PostalCode: "75001"}, "21", "27"}, // INSEE wins
		{essdir.Address{PostalCode: "98000"}, "", ""},                         // Monaco
		{essdir.Address{INSEECode: "97502"}, "975", "975"},                    // Saint-Pierre-et-Miquelon
		{essdir.Address{PostalCode: "98800"}, "988", "988"},                   // Nouméa
		{essdir.Address{}, "", ""},
	}
	for _, tt := range tests {
		d, r := essdir.DeriveTerritory(tt.addr)
		if d != tt.department || r != tt.region {
			t.Errorf("DeriveTerritory(%+v) = %q, %q, want %q, %q", tt.addr, d, r, tt.department, tt.region)
		}
	}
}

func TestValidEmail(t *testing.T) {
	tests := map[string]bool{
		"contact@pole-economie-solidaire21.org": true, "a.b+c@example.fr": true,
		"contact at pes21": false, "Tao <tao@example.org>": false, "tao@localhost": false, "@example.org": false, "": false,
	}
	for in, want := range tests {
		if got := essdir.ValidEmail(in); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidWebURL(t *testing.T) {
	tests := map[string]bool{
		"https://www.rtes.fr/": true, "http://pimmsdedijon.org": true,
		"https://www.facebook.com/p/G%C3%A9n%C3%A9rateur-BFC-100068459922930/?locale=fr_FR": true,
		"www.rtes.fr": false, "javascript:alert(1)": false, "ftp://example.org": false, "https://": false,
		"https://user:pass@example.org": false,
	}
	for in, want := range tests {
		if got := essdir.ValidWebURL(in); got != want {
			t.Errorf("ValidWebURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestValidPhone(t *testing.T) {
	tests := map[string]bool{"03 80 50 90 47": true, "+33 3.80.50.90.47": true, "0380509047": true, "call me": false, "12": false, "+33 (0)3 80 50 90 47 12 34 56 78": false}
	for in, want := range tests {
		if got := essdir.ValidPhone(in); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", in, got, want)
		}
	}
}
