-- A session made from a bearer token records that token's login (`sid`), so
-- ending the login (logout with a bearer token, refresh-token reuse) ends the
-- session too. NULL for sessions created before this column existed.
ALTER TABLE auth_session ADD COLUMN sid TEXT NULL;

-- The per-identity session limit evicts an identity's oldest sessions first.
CREATE INDEX IF NOT EXISTS IDX_auth_session_auth_identity_id_created_at_ms
    ON auth_session (auth_identity_id, created_at_ms);
