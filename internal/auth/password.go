// Package auth issues and verifies access tokens and hashes passwords. It
// knows nothing of HTTP: the transport asks it questions and maps its
// answers to status codes.
package auth

import (
	"errors"
	"sync"
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

// dummy is the hash compared against when the user does not exist, so that
// an unknown e-mail costs one comparison at the configured cost, exactly as
// a wrong password does. It is made lazily (BcryptCost may be changed after
// start, by tests or a future setting) and made again when the cost changes.
var dummy struct {
	mu   sync.Mutex
	hash []byte
}

func dummyHash() []byte {
	dummy.mu.Lock()
	defer dummy.mu.Unlock()
	if cost, err := bcrypt.Cost(dummy.hash); err != nil || cost != BcryptCost {
		h, err := bcrypt.GenerateFromPassword([]byte("essdir-timing-equaliser"), BcryptCost)
		if err != nil {
			panic("auth: cannot make the timing hash: " + err.Error()) // only for a cost outside 4–31
		}
		dummy.hash = h
	}
	return dummy.hash
}

// CheckPassword reports whether password matches hash. An empty hash (no such
// user) still spends a comparison at the configured cost, and so does a
// password longer than MaxPasswordBytes, which never matches: bcrypt reads
// only the first 72 bytes, so without this check "password+GARBAGE" would
// pass for "password".
func CheckPassword(hash, password string) bool {
	h := []byte(hash)
	if hash == "" {
		h = dummyHash()
	}
	tooLong := len(password) > MaxPasswordBytes
	if tooLong {
		password = password[:MaxPasswordBytes]
	}
	ok := bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
	return ok && hash != "" && !tooLong
}
