-- +goose Up
-- Search (issue #8): French full text, typo-tolerant names, filters and
-- geography, each served by an index.
--
-- Full text: essdir_fr is the french configuration with unaccent before the
-- stemmer, so "economie", "Économie" and "économies" meet on one lexeme. A
-- configuration named as a constant makes to_tsvector immutable, hence usable
-- in a generated column. The searchable text of a structure includes the
-- names of its activities, which a generated column cannot read from another
-- table: structures.activity_names is maintained by a trigger on activities
-- (in the writing transaction, whatever path writes: the API, a bulk upsert
-- or plain SQL), and the generated search_vector reads it.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TEXT SEARCH CONFIGURATION essdir_fr (COPY = french);
ALTER TEXT SEARCH CONFIGURATION essdir_fr
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;

-- essdir_fold is the key of typo-tolerant matching: NFC, no accents, lower
-- case. unaccent() is only STABLE (it reads its dictionary by name); naming
-- the dictionary makes the result depend on its argument alone.
-- +goose StatementBegin
CREATE FUNCTION essdir_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, normalize($1, NFC))) $$;
-- +goose StatementEnd

ALTER TABLE structures ADD COLUMN activity_names text NOT NULL DEFAULT '';
UPDATE structures s SET activity_names = a.names
FROM (SELECT structure_id, string_agg(name, ' ' ORDER BY name, id) AS names
      FROM activities WHERE deleted_at IS NULL GROUP BY structure_id) a
WHERE a.structure_id = s.id;

-- Weights: the name counts most (A), then the summary and the activities
-- (B), then the description and the city (C).
ALTER TABLE structures ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('essdir_fr'::regconfig, name), 'A') ||
    setweight(to_tsvector('essdir_fr'::regconfig, coalesce(summary, '') || ' ' || activity_names), 'B') ||
    setweight(to_tsvector('essdir_fr'::regconfig, coalesce(description, '') || ' ' || coalesce(city, '')), 'C')
) STORED;
-- The names a typo may be made on: the structure's and its commune's.
ALTER TABLE structures ADD COLUMN name_key text GENERATED ALWAYS AS (
    essdir_fold(name || ' ' || coalesce(city, ''))
) STORED;

CREATE INDEX structures_search_idx ON structures USING gin (search_vector) WHERE deleted_at IS NULL;
CREATE INDEX structures_name_key_trgm_idx ON structures USING gin (name_key gin_trgm_ops) WHERE deleted_at IS NULL;

-- +goose StatementBegin
CREATE FUNCTION structures_refresh_activity_names() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        ids := ARRAY[NEW.structure_id];
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY[OLD.structure_id];
    ELSE
        ids := ARRAY[OLD.structure_id, NEW.structure_id];
    END IF;
    UPDATE structures s
    SET activity_names = coalesce((SELECT string_agg(a.name, ' ' ORDER BY a.name, a.id)
                                   FROM activities a
                                   WHERE a.structure_id = s.id AND a.deleted_at IS NULL), '')
    WHERE s.id = ANY (ids)
      AND s.activity_names IS DISTINCT FROM coalesce((SELECT string_agg(a.name, ' ' ORDER BY a.name, a.id)
                                   FROM activities a
                                   WHERE a.structure_id = s.id AND a.deleted_at IS NULL), '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER activities_search_text
    AFTER INSERT OR DELETE OR UPDATE OF name, structure_id, deleted_at ON activities
    FOR EACH ROW EXECUTE FUNCTION structures_refresh_activity_names();

-- Filters: one index per frequent filter in list order, so that
-- "department_code = ? ORDER BY name, id" reads the index in order and
-- stops after a page (no sort of the département).
DROP INDEX structures_department_idx;
CREATE INDEX structures_department_name_idx ON structures (department_code, name, id) WHERE deleted_at IS NULL;
CREATE INDEX structures_region_name_idx ON structures (region_code, name, id) WHERE deleted_at IS NULL;
CREATE INDEX structures_insee_name_idx ON structures (insee_code, name, id) WHERE deleted_at IS NULL;
CREATE INDEX structures_legal_form_name_idx ON structures (legal_form, name, id) WHERE deleted_at IS NULL;
CREATE INDEX structures_sectors_idx ON structures USING gin (sectors) WHERE deleted_at IS NULL;
CREATE INDEX structures_labels_idx ON structures USING gin (labels) WHERE deleted_at IS NULL;
CREATE INDEX structures_networks_idx ON structures USING gin (networks) WHERE deleted_at IS NULL;
-- Geography: a bounding box on (lat, lon) prefilters, the exact distance
-- (haversine) is computed in SQL on what remains.
CREATE INDEX structures_location_idx ON structures (lat, lon) WHERE deleted_at IS NULL AND lat IS NOT NULL;

-- +goose Down
DROP INDEX structures_location_idx;
DROP INDEX structures_networks_idx;
DROP INDEX structures_labels_idx;
DROP INDEX structures_sectors_idx;
DROP INDEX structures_legal_form_name_idx;
DROP INDEX structures_insee_name_idx;
DROP INDEX structures_region_name_idx;
DROP INDEX structures_department_name_idx;
CREATE INDEX structures_department_idx ON structures (department_code) WHERE deleted_at IS NULL;
DROP TRIGGER activities_search_text ON activities;
DROP FUNCTION structures_refresh_activity_names();
ALTER TABLE structures DROP COLUMN name_key;
ALTER TABLE structures DROP COLUMN search_vector;
ALTER TABLE structures DROP COLUMN activity_names;
DROP FUNCTION essdir_fold(text);
DROP TEXT SEARCH CONFIGURATION essdir_fr;
