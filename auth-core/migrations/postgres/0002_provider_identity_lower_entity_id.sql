-- Case-insensitive lookups of e-mail entity ids: a Medusa backend may have
-- stored `Ada@Example.com`, which a login as `ada@example.com` must find.
-- translate() folds ASCII letters only, as the other stores do (lower() would
-- fold every script by the database's locale). Not unique: existing rows may
-- differ only in case (such a lookup is then ambiguous and finds nothing).
CREATE INDEX IF NOT EXISTS "IDX_provider_identity_provider_ascii_lower_entity_id"
    ON provider_identity (
        provider,
        translate(entity_id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    );
