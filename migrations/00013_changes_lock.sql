-- +goose Up
-- The change feed's order (internal/store/changes.go): whatever adds feed
-- entries holds the feed's transaction-level advisory lock from just before
-- its first entry is given a seq until it commits, so that seqs become
-- visible in increasing order. The lock was a statement of its own, sent
-- before the entries; a statement-level trigger now takes it as part of
-- the statement that adds them, before any row's seq is drawn (BEFORE
-- STATEMENT fires before an INSERT's or a COPY's first row): one round trip
-- fewer for every write, and no way to add an entry without the lock.
-- The key is store.changeLogLock ("essdir changes").
-- +goose StatementBegin
CREATE FUNCTION lock_change_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7310313495154157427);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER changes_lock_feed BEFORE INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION lock_change_feed();

-- +goose Down
DROP TRIGGER changes_lock_feed ON changes;
DROP FUNCTION lock_change_feed();
