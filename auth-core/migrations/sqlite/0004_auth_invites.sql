-- Invites to become an admin user (Medusa's `invite`): single use, the token
-- stored only as its SHA-256 hash (base64url). Times are Unix seconds.
CREATE TABLE IF NOT EXISTS auth_invite (
    id          TEXT    NOT NULL PRIMARY KEY,
    email       TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
);

CREATE UNIQUE INDEX IF NOT EXISTS IDX_auth_invite_token_hash
    ON auth_invite (token_hash);
