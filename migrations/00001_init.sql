-- +goose Up
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'editor')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE structures (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL,
    name            text NOT NULL,
    legal_form      text,
    siret           char(14),
    siren           char(9),
    rna             text,
    summary         text,
    description     text,
    sectors         text[] NOT NULL DEFAULT '{}',
    labels          text[] NOT NULL DEFAULT '{}',
    street          text,
    postal_code     text,
    city            text,
    insee_code      text,
    department_code text,
    region_code     text,
    lat             double precision CHECK (lat BETWEEN -90 AND 90),
    lon             double precision CHECK (lon BETWEEN -180 AND 180),
    website         text,
    email           text,
    phone           text,
    social_links    jsonb NOT NULL DEFAULT '[]',
    contacts        jsonb NOT NULL DEFAULT '[]',
    networks        text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL CHECK (status IN ('draft', 'pending', 'published', 'archived')),
    source          text,
    external_id     text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    deleted_at      timestamptz,
    CHECK ((lat IS NULL) = (lon IS NULL)),
    CHECK (external_id IS NULL OR source IS NOT NULL)
);
-- Slugs stay reserved after a soft delete so that old links never point at
-- another structure; SIRETs and external ids are unique among live records.
CREATE UNIQUE INDEX structures_slug_key ON structures (slug);
CREATE UNIQUE INDEX structures_siret_key ON structures (siret) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX structures_source_external_id_key ON structures (source, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX structures_name_idx ON structures (name, id) WHERE deleted_at IS NULL;
CREATE INDEX structures_updated_at_idx ON structures (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX structures_department_idx ON structures (department_code) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE structures;
DROP TABLE users;
