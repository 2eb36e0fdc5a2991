package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/auth"
)

func TestClientCreate(t *testing.T) {
	out, err := runCLI(t, testEnv(nil), "", "client", "create", "--name", "RTES", "--source", "rtes-cli", "--moderation", "published")
	if err != nil {
		t.Fatal(err, out)
	}
	var created map[string]string
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["source"] != "rtes-cli" ||
		created["client_id"] == "" || len(created["client_secret"]) < 43 {
		t.Fatalf("client create printed %q", out)
	}
	// Only the SHA-256 of the secret is stored.
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var hash []byte
	var moderation string
	err = conn.QueryRow(context.Background(), "SELECT secret_hash, moderation FROM clients WHERE id = $1", created["client_id"]).Scan(&hash, &moderation)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash, auth.HashSecret(created["client_secret"])) || bytes.Contains(hash, []byte(created["client_secret"])) || moderation != "published" {
		t.Errorf("stored %x (%s)", hash, moderation)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ErrNoSource", []string{"--name", "X"}, "usage"},
		{"ErrBadSource", []string{"--name", "X", "--source", "Not A Source"}, "source"},
		{"ErrBadModeration", []string{"--name", "X", "--source", "x", "--moderation", "draft"}, "moderation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCLI(t, testEnv(nil), "", append([]string{"client", "create"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
