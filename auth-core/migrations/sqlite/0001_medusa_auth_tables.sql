-- The Medusa Auth Module's tables, with Medusa's table, column and index names,
-- so a service can share its identity data model with a Medusa backend.
-- JSON columns hold a JSON object as text (NULL reads as an empty object);
-- timestamps are ISO 8601 UTC text.

CREATE TABLE IF NOT EXISTS auth_identity (
    id           TEXT NOT NULL PRIMARY KEY,
    app_metadata TEXT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    deleted_at   TEXT NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_identity_deleted_at
    ON auth_identity (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS provider_identity (
    id                TEXT NOT NULL PRIMARY KEY,
    entity_id         TEXT NOT NULL,
    provider          TEXT NOT NULL,
    auth_identity_id  TEXT NOT NULL
        CONSTRAINT provider_identity_auth_identity_id_foreign
        REFERENCES auth_identity (id) ON UPDATE CASCADE ON DELETE CASCADE,
    user_metadata     TEXT NULL,
    provider_metadata TEXT NULL,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    deleted_at        TEXT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS IDX_provider_identity_provider_entity_id
    ON provider_identity (entity_id, provider);

CREATE INDEX IF NOT EXISTS IDX_provider_identity_auth_identity_id
    ON provider_identity (auth_identity_id);

CREATE INDEX IF NOT EXISTS IDX_provider_identity_deleted_at
    ON provider_identity (deleted_at) WHERE deleted_at IS NOT NULL;
