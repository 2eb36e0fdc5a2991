-- +goose Up
-- The official geography (COG), reference data loaded by the binary right
-- after the migrations (store.Migrate) or by `essdir import geography`.
-- Every load replaces all of it in one transaction. There are no foreign keys
-- between these tables: geo.Reference.Validate checks the same before a load,
-- and 35,000 communes then copy in well under a second.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE geo_regions (
    code text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE geo_departments (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    region_code text NOT NULL
);

-- Current communes and municipal arrondissements (Paris 75101…, which an
-- address may name). name_key is essdir.PlaceSearchKey(name): lower case,
-- no accents, one space between words, "st" spelt "saint".
CREATE TABLE geo_communes (
    insee_code      text PRIMARY KEY,
    name            text NOT NULL,
    name_key        text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('commune', 'arrondissement')),
    parent_code     text,
    department_code text NOT NULL,
    region_code     text NOT NULL,
    postal_codes    text[] NOT NULL DEFAULT '{}',
    population      integer
);
CREATE INDEX geo_communes_name_key_prefix_idx ON geo_communes (name_key text_pattern_ops);
CREATE INDEX geo_communes_name_key_trgm_idx ON geo_communes USING gin (name_key gin_trgm_ops);
CREATE INDEX geo_communes_postal_codes_idx ON geo_communes USING gin (postal_codes);

-- Codes of communes that merged into another (communes nouvelles, former
-- communes déléguées and associées): the code → the current commune's.
CREATE TABLE geo_former_communes (
    insee_code     text PRIMARY KEY,
    successor_code text NOT NULL
);
CREATE INDEX geo_former_communes_successor_idx ON geo_former_communes (successor_code);

CREATE TABLE geo_epci (
    siren text PRIMARY KEY CHECK (siren ~ '^[0-9]{9}$'),
    name  text NOT NULL,
    kind  text NOT NULL
);

CREATE TABLE geo_epci_members (
    epci_siren   text NOT NULL,
    commune_code text NOT NULL,
    PRIMARY KEY (epci_siren, commune_code)
);
CREATE INDEX geo_epci_members_commune_idx ON geo_epci_members (commune_code);

-- Which reference is loaded: one row. source is 'embedded' (the copy in the
-- binary, refreshed when the binary's differs) or 'import' (an operator's
-- `essdir import geography`, replaced only by a newer embedded version).
CREATE TABLE geo_meta (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    source          text NOT NULL CHECK (source IN ('embedded', 'import')),
    package_version text NOT NULL,
    digest          text NOT NULL,
    loaded_at       timestamptz NOT NULL
);

-- +goose Down
DROP TABLE geo_meta;
DROP TABLE geo_epci_members;
DROP TABLE geo_epci;
DROP TABLE geo_former_communes;
DROP TABLE geo_communes;
DROP TABLE geo_departments;
DROP TABLE geo_regions;
-- pg_trgm stays: other migrations may come to rely on it.
