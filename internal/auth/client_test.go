package auth_test

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/auth/authtest"
	"github.com/essdir/essdir/internal/essdir"
)

func TestClientToken(t *testing.T) {
	i := newIssuer(t)
	cl := &essdir.Client{ID: uuid.New(), Source: "rtes"}
	raw, err := i.IssueClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := i.Verify(raw)
	if err != nil || p.Kind != essdir.SubjectClient || p.Role != essdir.RolePartner || p.Source != "rtes" || p.Subject != cl.ID {
		t.Fatalf("principal %+v, %v", p, err)
	}
	kid := authtest.KeyID(t, raw)
	refused := map[string]func(jwt.MapClaims){
		"ErrPartnerWithoutSource": func(c jwt.MapClaims) { c["role"], c["kind"] = "partner", "client" },
		"ErrPartnerAsUser":        func(c jwt.MapClaims) { c["role"], c["source"] = "partner", "rtes" },
		"ErrClientAsEditor":       func(c jwt.MapClaims) { c["kind"], c["source"] = "client", "rtes" },
		"ErrUserWithSource":       func(c jwt.MapClaims) { c["source"] = "rtes" },
	}
	for name, edit := range refused {
		t.Run(name, func(t *testing.T) {
			if _, err := i.Verify(authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, edit)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestSecretMatches(t *testing.T) {
	raw, hash := auth.NewSecret()
	if len(raw) != 43 || !auth.SecretMatches(hash, raw) {
		t.Fatalf("secret %q does not match its hash", raw)
	}
	if auth.SecretMatches(hash, raw+"x") || auth.SecretMatches(nil, raw) {
		t.Error("a wrong secret or an unknown client matched")
	}
}
