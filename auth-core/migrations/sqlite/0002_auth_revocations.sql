-- Our own tables (not Medusa's): token revocation. Times are Unix seconds.

-- Deny-listed access tokens, by `jti`, until the token would have expired anyway.
CREATE TABLE IF NOT EXISTS auth_revoked_token (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Pruning deletes by expiry.
CREATE INDEX IF NOT EXISTS IDX_auth_revoked_token_expires_at
    ON auth_revoked_token (expires_at);

-- Per identity: tokens issued before this time are rejected (password reset or change).
-- No foreign key: revoking must work even for an identity this database does not hold.
CREATE TABLE IF NOT EXISTS auth_identity_revocation (
    auth_identity_id   TEXT    NOT NULL PRIMARY KEY,
    tokens_valid_after INTEGER NOT NULL
);
