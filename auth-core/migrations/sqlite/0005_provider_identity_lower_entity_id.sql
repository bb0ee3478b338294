-- Case-insensitive lookups of e-mail entity ids: a Medusa backend may have
-- stored `Ada@Example.com`, which a login as `ada@example.com` must find.
-- Not unique: existing rows may differ only in case (such a lookup is then
-- ambiguous and finds nothing). SQLite's lower() folds ASCII letters only.
CREATE INDEX IF NOT EXISTS IDX_provider_identity_provider_lower_entity_id
    ON provider_identity (provider, lower(entity_id));
