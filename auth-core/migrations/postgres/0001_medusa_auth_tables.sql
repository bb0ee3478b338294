-- The Medusa Auth Module's tables, with Medusa's table, column, constraint and
-- index names and types (text ids, jsonb metadata, timestamptz times), so the
-- store can be pointed at the database of an existing Medusa backend: every
-- statement is a no-op where Medusa's migrations already ran. Index names are
-- quoted because Medusa's are mixed case ("IDX_..."); unquoted, PostgreSQL would
-- fold them and create duplicates beside Medusa's.

CREATE TABLE IF NOT EXISTS auth_identity (
    id           text        NOT NULL,
    app_metadata jsonb       NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz NULL,
    CONSTRAINT auth_identity_pkey PRIMARY KEY (id)
);

-- Medusa databases migrated before soft deletes (December 2024) lack it.
ALTER TABLE auth_identity ADD COLUMN IF NOT EXISTS deleted_at timestamptz NULL;

CREATE INDEX IF NOT EXISTS "IDX_auth_identity_deleted_at"
    ON auth_identity (deleted_at) WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS provider_identity (
    id                text        NOT NULL,
    entity_id         text        NOT NULL,
    provider          text        NOT NULL,
    auth_identity_id  text        NOT NULL,
    user_metadata     jsonb       NULL,
    provider_metadata jsonb       NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz NULL,
    CONSTRAINT provider_identity_pkey PRIMARY KEY (id),
    CONSTRAINT provider_identity_auth_identity_id_foreign
        FOREIGN KEY (auth_identity_id) REFERENCES auth_identity (id)
        ON UPDATE CASCADE ON DELETE CASCADE
);

ALTER TABLE provider_identity ADD COLUMN IF NOT EXISTS deleted_at timestamptz NULL;

-- As in Medusa's migrations: unique over every row, soft-deleted ones included.
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_provider_identity_provider_entity_id"
    ON provider_identity (entity_id, provider);

CREATE INDEX IF NOT EXISTS "IDX_provider_identity_auth_identity_id"
    ON provider_identity (auth_identity_id);

CREATE INDEX IF NOT EXISTS "IDX_provider_identity_deleted_at"
    ON provider_identity (deleted_at) WHERE deleted_at IS NULL;
