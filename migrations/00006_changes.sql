-- +goose Up
-- The change feed (GET /v1/changes): one row per record written, in the
-- same transaction as the write. seq is given under a transaction-level
-- advisory lock held until commit (internal/store/changes.go), so seqs
-- become visible in increasing order and a poller reading "seq > after"
-- never skips one.
CREATE TABLE changes (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type      text NOT NULL,
    record_id uuid NOT NULL,
    action    text NOT NULL CHECK (action IN ('upsert', 'delete')),
    at        timestamptz NOT NULL
);
CREATE INDEX changes_type_seq_idx ON changes (type, seq);

-- Free slugs are found by prefix, a batch of them at once (bulk upserts):
-- a range scan per prefix rather than a scan of the table per batch.
CREATE INDEX structures_slug_pattern_idx ON structures (slug text_pattern_ops);

-- +goose Down
DROP INDEX structures_slug_pattern_idx;
DROP TABLE changes;
