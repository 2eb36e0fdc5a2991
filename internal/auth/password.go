// Package auth issues and verifies access tokens and hashes passwords. It
// knows nothing of HTTP: the transport asks it questions and maps its
// answers to status codes.
package auth

import (
	"errors"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password limits: bcrypt reads at most 72 bytes, and a short password is the
// weakest link of an admin account.
const (
	MinPasswordRunes = 12
	MaxPasswordBytes = 72
)

// BcryptCost is the work factor of new hashes. Tests lower it.
var BcryptCost = 12

// CheckPasswordPolicy explains why a new password is refused, or returns nil.
func CheckPasswordPolicy(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		return errors.New("the password must have at least 12 characters")
	case len(password) > MaxPasswordBytes:
		return errors.New("the password must be at most 72 bytes")
	}
	return nil
}

// HashPassword returns the bcrypt hash of password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	return string(h), err
}

// dummyHash is compared against when the user does not exist, so that an
// unknown e-mail costs the same time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("essdir-timing-equaliser"), bcrypt.MinCost)

// CheckPassword reports whether password matches hash. An empty hash (no such
// user) still spends a comparison.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
