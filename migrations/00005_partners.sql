-- +goose Up
-- Partner clients, refresh tokens and idempotency keys (issue #9).
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- A client's secret is 32 random bytes: its SHA-256 is enough (no bcrypt
-- needed for a high-entropy secret).
CREATE TABLE clients (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    source      text NOT NULL,
    moderation  text NOT NULL CHECK (moderation IN ('pending', 'published')),
    secret_hash bytea NOT NULL,
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Refresh tokens are opaque; only their SHA-256 is kept. Each use spends one
-- and issues the next in the same family.
CREATE TABLE refresh_tokens (
    token_hash   bytea PRIMARY KEY,
    family_id    uuid NOT NULL,
    subject_kind text NOT NULL CHECK (subject_kind IN ('user', 'client')),
    subject_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    spent_at     timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_subject_idx ON refresh_tokens (subject_kind, subject_id);

-- The answers of POSTs sent with an Idempotency-Key, per caller. The row is
-- inserted before the request runs (completed_at NULL), so a concurrent
-- duplicate finds it.
CREATE TABLE idempotency_keys (
    caller       text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL,
    completed_at timestamptz,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE refresh_tokens;
DROP TABLE clients;
ALTER TABLE users DROP COLUMN disabled;
