package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUnknownUserCostsTheConfiguredCost: the hash compared for an unknown
// e-mail has the cost of real hashes, so a failed login costs the same
// whether the account exists or not (the cost parameter is compared, not
// wall time).
func TestUnknownUserCostsTheConfiguredCost(t *testing.T) {
	defer func(c int) { BcryptCost = c }(BcryptCost)
	for _, cost := range []int{5, 6} {
		BcryptCost = cost
		real, err := HashPassword("a real password!")
		if err != nil {
			t.Fatal(err)
		}
		if CheckPassword("", "a real password!") {
			t.Fatal("no user, yet the password matched")
		}
		got, err := bcrypt.Cost(dummyHash())
		if err != nil {
			t.Fatal(err)
		}
		want, _ := bcrypt.Cost([]byte(real))
		if got != want {
			t.Errorf("unknown user compared at cost %d, a real hash has cost %d", got, want)
		}
	}
}

// TestPasswordOver72BytesNeverMatches: bcrypt reads 72 bytes; anything a
// client appends beyond them must not pass for the password.
func TestPasswordOver72BytesNeverMatches(t *testing.T) {
	defer func(c int) { BcryptCost = c }(BcryptCost)
	BcryptCost = bcrypt.MinCost
	password := strings.Repeat("p", MaxPasswordBytes)
	hash, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(hash, password) {
		t.Fatal("the 72-byte password itself does not match")
	}
	if CheckPassword(hash, password+"GARBAGE") {
		t.Error("the password followed by GARBAGE matched")
	}
	if CheckPassword("", password+"GARBAGE") {
		t.Error("a long password matched no user")
	}
}
