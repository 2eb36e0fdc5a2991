-- +goose Up
-- The directory around structures: their activities, the collectivities and
-- the support they give, support schemes and events. Every record has the
-- shared header (id, created_at, updated_at, version) and is soft-deleted
-- (deleted_at). Foreign keys keep references true; since a soft-deleted row
-- stays, the store also checks that a referenced record is live (422) and
-- refuses to delete a collectivity or a support scheme still referenced (409).
-- Constraint names are how database errors become client messages
-- (internal/store/errors.go).

CREATE TABLE activities (
    id           uuid PRIMARY KEY,
    structure_id uuid NOT NULL CONSTRAINT activities_structure_fkey REFERENCES structures (id),
    name         text NOT NULL,
    description  text,
    sectors      text[] NOT NULL DEFAULT '{}',
    audiences    text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      integer NOT NULL DEFAULT 1,
    deleted_at   timestamptz
);
CREATE INDEX activities_structure_idx ON activities (structure_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_name_idx ON activities (name, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_updated_at_idx ON activities (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX activities_audiences_idx ON activities USING gin (audiences) WHERE deleted_at IS NULL;

CREATE TABLE collectivities (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('commune', 'epci', 'departement', 'region', 'syndicat', 'state_service', 'other')),
    insee_code      text,
    siren           char(9),
    department_code text,
    region_code     text,
    website         text,
    email           text,
    phone           text,
    source          text,
    external_id     text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    deleted_at      timestamptz
);
CREATE UNIQUE INDEX collectivities_kind_insee_key ON collectivities (kind, insee_code)
    WHERE deleted_at IS NULL AND insee_code IS NOT NULL;
CREATE UNIQUE INDEX collectivities_kind_siren_key ON collectivities (kind, siren)
    WHERE deleted_at IS NULL AND siren IS NOT NULL;
CREATE UNIQUE INDEX collectivities_source_external_id_key ON collectivities (source, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX collectivities_name_idx ON collectivities (name, id) WHERE deleted_at IS NULL;
CREATE INDEX collectivities_updated_at_idx ON collectivities (updated_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE support_schemes (
    id                    uuid PRIMARY KEY,
    name                  text NOT NULL,
    acronym               text,
    description           text,
    operator_structure_id uuid CONSTRAINT support_schemes_operator_fkey REFERENCES structures (id),
    target_audiences      text[] NOT NULL DEFAULT '{}',
    steps                 jsonb NOT NULL DEFAULT '[]',
    department_codes      text[] NOT NULL DEFAULT '{}',
    region_codes          text[] NOT NULL DEFAULT '{}',
    website               text,
    email                 text,
    phone                 text,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    deleted_at            timestamptz
);
CREATE INDEX support_schemes_name_idx ON support_schemes (name, id) WHERE deleted_at IS NULL;
CREATE INDEX support_schemes_updated_at_idx ON support_schemes (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX support_schemes_operator_idx ON support_schemes (operator_structure_id) WHERE deleted_at IS NULL;

-- Funders: a collectivity of the directory, or a funder named only.
CREATE TABLE support_scheme_funders (
    support_scheme_id uuid NOT NULL REFERENCES support_schemes (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    collectivity_id   uuid CONSTRAINT support_scheme_funders_collectivity_fkey REFERENCES collectivities (id),
    name              text,
    PRIMARY KEY (support_scheme_id, position),
    CHECK ((collectivity_id IS NULL) <> (name IS NULL))
);
CREATE INDEX support_scheme_funders_collectivity_idx ON support_scheme_funders (collectivity_id);

CREATE TABLE support_scheme_beneficiaries (
    support_scheme_id uuid NOT NULL REFERENCES support_schemes (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    structure_id      uuid NOT NULL CONSTRAINT support_scheme_beneficiaries_structure_fkey REFERENCES structures (id),
    PRIMARY KEY (support_scheme_id, structure_id)
);
CREATE INDEX support_scheme_beneficiaries_structure_idx ON support_scheme_beneficiaries (structure_id);

CREATE TABLE collectivity_links (
    id                uuid PRIMARY KEY,
    structure_id      uuid NOT NULL CONSTRAINT collectivity_links_structure_fkey REFERENCES structures (id),
    collectivity_id   uuid NOT NULL CONSTRAINT collectivity_links_collectivity_fkey REFERENCES collectivities (id),
    support_kinds     text[] NOT NULL DEFAULT '{}',
    description       text,
    amount_eur        numeric(14, 2) CHECK (amount_eur >= 0),
    start_date        date,
    end_date          date,
    support_scheme_id uuid CONSTRAINT collectivity_links_support_scheme_fkey REFERENCES support_schemes (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    deleted_at        timestamptz,
    CONSTRAINT collectivity_links_period_check CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX collectivity_links_structure_idx ON collectivity_links (structure_id) WHERE deleted_at IS NULL;
CREATE INDEX collectivity_links_collectivity_idx ON collectivity_links (collectivity_id) WHERE deleted_at IS NULL;
CREATE INDEX collectivity_links_support_scheme_idx ON collectivity_links (support_scheme_id) WHERE deleted_at IS NULL;
CREATE INDEX collectivity_links_updated_at_idx ON collectivity_links (updated_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE events (
    id                    uuid PRIMARY KEY,
    title                 text NOT NULL,
    description           text,
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    timezone              text NOT NULL DEFAULT 'Europe/Paris',
    venue_name            text,
    venue_street          text,
    venue_postal_code     text,
    venue_city            text,
    venue_insee_code      text,
    venue_department_code text,
    venue_region_code     text,
    venue_lat             double precision CHECK (venue_lat BETWEEN -90 AND 90),
    venue_lon             double precision CHECK (venue_lon BETWEEN -180 AND 180),
    is_free               boolean,
    price_eur             numeric(10, 2) CHECK (price_eur >= 0),
    audiences             text[] NOT NULL DEFAULT '{}',
    formats               text[] NOT NULL DEFAULT '{}',
    campaign              text,
    edition               integer,
    registration_url      text,
    status                text NOT NULL CHECK (status IN ('scheduled', 'cancelled', 'postponed')),
    source                text,
    external_id           text,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    deleted_at            timestamptz,
    CONSTRAINT events_period_check CHECK (ends_at >= starts_at),
    CHECK ((venue_lat IS NULL) = (venue_lon IS NULL)),
    CHECK (external_id IS NULL OR source IS NOT NULL)
);
CREATE UNIQUE INDEX events_source_external_id_key ON events (source, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE INDEX events_starts_at_idx ON events (starts_at, id) WHERE deleted_at IS NULL;
CREATE INDEX events_updated_at_idx ON events (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX events_department_idx ON events (venue_department_code) WHERE deleted_at IS NULL;

-- Organizers: a structure or a collectivity, in the order given.
CREATE TABLE event_organizers (
    event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    structure_id    uuid CONSTRAINT event_organizers_structure_fkey REFERENCES structures (id),
    collectivity_id uuid CONSTRAINT event_organizers_collectivity_fkey REFERENCES collectivities (id),
    PRIMARY KEY (event_id, position),
    CHECK ((structure_id IS NULL) <> (collectivity_id IS NULL))
);
CREATE INDEX event_organizers_structure_idx ON event_organizers (structure_id);
CREATE INDEX event_organizers_collectivity_idx ON event_organizers (collectivity_id);

CREATE TABLE event_participants (
    event_id     uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    structure_id uuid NOT NULL CONSTRAINT event_participants_structure_fkey REFERENCES structures (id),
    role         text NOT NULL CHECK (role IN ('speaker', 'exhibitor', 'moderator', 'organizer')),
    PRIMARY KEY (event_id, structure_id, role)
);
CREATE INDEX event_participants_structure_idx ON event_participants (structure_id);

-- +goose Down
DROP TABLE event_participants;
DROP TABLE event_organizers;
DROP TABLE events;
DROP TABLE collectivity_links;
DROP TABLE support_scheme_beneficiaries;
DROP TABLE support_scheme_funders;
DROP TABLE support_schemes;
DROP TABLE collectivities;
DROP TABLE activities;
