package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// SecretBytes is the entropy of client secrets and refresh tokens.
const SecretBytes = 32

// NewSecret makes a random opaque secret (a client secret, a refresh token):
// 32 bytes, base64url without padding. Only its hash is ever stored.
func NewSecret() (raw string, hash []byte) {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	raw = base64.RawURLEncoding.EncodeToString(b)
	return raw, HashSecret(raw)
}

// HashSecret is the stored form of a secret. A 256-bit random secret cannot
// be guessed, so a fast hash suffices: bcrypt protects low-entropy passwords.
func HashSecret(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// unknownSecret stands in for the hash of a client that does not exist, so
// that an unknown client costs what a wrong secret does.
var unknownSecret = HashSecret("essdir-no-such-client")

// SecretMatches reports, in constant time, whether raw hashes to hash. A nil
// hash (no such client) still spends a hash and a comparison.
func SecretMatches(hash []byte, raw string) bool {
	known := hash != nil
	if !known {
		hash = unknownSecret
	}
	return subtle.ConstantTimeCompare(HashSecret(raw), hash) == 1 && known
}
