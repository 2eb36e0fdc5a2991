-- +goose Up
-- Derived slugs without reading the taken ones (internal/store/slugs.go):
-- per table and base (a slugified name), taken says that the base's
-- candidates 1…taken (base, base-2, …, base-taken) are all taken. A writer
-- reads the counters of its bases (under a lock of its own, see slugs.go),
-- probes the candidates after them by
-- exact slug and moves them past what it gives; a name given once has no
-- counter. Counters are updated in place: pages keep room for that (HOT);
-- keys compare bytewise (a batch looks up hundreds of bases at once).
CREATE TABLE slug_counters (
    tbl   text COLLATE "C" NOT NULL,
    base  text COLLATE "C" NOT NULL,
    taken integer NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (tbl, base)
) WITH (fillfactor = 70);

-- Slugs are never freed by the application (a soft delete keeps its slug);
-- a structure deleted for good (DELETE, TRUNCATE: tests, benchmarks, an
-- operator) may free one, and the counters of the table are forgotten, to
-- be rebuilt by probing. Statement-level: a COPY or an INSERT pays nothing.
-- +goose StatementBegin
CREATE FUNCTION forget_slug_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM slug_counters WHERE tbl = TG_TABLE_NAME;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER structures_forget_slug_counters AFTER DELETE OR TRUNCATE ON structures
    FOR EACH STATEMENT EXECUTE FUNCTION forget_slug_counters();

-- The free-slug ranges of 00006 read this index; nothing else does.
DROP INDEX structures_slug_pattern_idx;

-- +goose Down
CREATE INDEX structures_slug_pattern_idx ON structures (slug text_pattern_ops);
DROP TRIGGER structures_forget_slug_counters ON structures;
DROP FUNCTION forget_slug_counters();
DROP TABLE slug_counters;
