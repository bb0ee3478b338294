-- Our own tables (not Medusa's): sessions, password reset tokens, refresh token
-- families, API keys and throttle counters. Secrets are stored only as hashes
-- (SHA-256, base64url). Times are Unix seconds unless the column name ends in `_ms`.
--
-- Note: `auth_identity_revocation.tokens_valid_after` (0002) holds Unix
-- milliseconds, whatever 0002's header says; the column stores the integer given.

-- Server-side sessions, by the hash of the cookie's session id.
CREATE TABLE IF NOT EXISTS auth_session (
    id_hash          TEXT    NOT NULL PRIMARY KEY,
    auth_identity_id TEXT    NOT NULL,
    -- The AuthContext as a JSON object.
    context          TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_session_auth_identity_id
    ON auth_session (auth_identity_id);

-- Pruning deletes by expiry.
CREATE INDEX IF NOT EXISTS IDX_auth_session_expires_at
    ON auth_session (expires_at);

-- Pending password resets, single use.
CREATE TABLE IF NOT EXISTS auth_reset_token (
    token_hash       TEXT    NOT NULL PRIMARY KEY,
    auth_identity_id TEXT    NOT NULL,
    actor_type       TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    expires_at       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_reset_token_auth_identity_id
    ON auth_reset_token (auth_identity_id);

CREATE INDEX IF NOT EXISTS IDX_auth_reset_token_expires_at
    ON auth_reset_token (expires_at);

-- Rotating refresh tokens; `used_at` is set once, when the token is rotated.
CREATE TABLE IF NOT EXISTS auth_refresh_token (
    token_hash        TEXT    NOT NULL PRIMARY KEY,
    family_id         TEXT    NOT NULL,
    auth_identity_id  TEXT    NOT NULL,
    actor_type        TEXT    NOT NULL,
    expires_at        INTEGER NOT NULL,
    family_expires_at INTEGER NOT NULL,
    used_at           INTEGER NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_refresh_token_family_id
    ON auth_refresh_token (family_id);

CREATE INDEX IF NOT EXISTS IDX_auth_refresh_token_auth_identity_id
    ON auth_refresh_token (auth_identity_id);

CREATE INDEX IF NOT EXISTS IDX_auth_refresh_token_family_expires_at
    ON auth_refresh_token (family_expires_at);

-- Revoked refresh token families (a used token was presented again, or the
-- identity's refresh tokens were revoked). Kept until the family would have
-- expired anyway, then pruned together with its tokens.
CREATE TABLE IF NOT EXISTS auth_refresh_family_revoked (
    family_id         TEXT    NOT NULL PRIMARY KEY,
    family_expires_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_refresh_family_revoked_family_expires_at
    ON auth_refresh_family_revoked (family_expires_at);

-- Secret API keys, found by the hash of the secret.
CREATE TABLE IF NOT EXISTS auth_api_key (
    id          TEXT    NOT NULL PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    redacted    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS IDX_auth_api_key_secret_hash
    ON auth_api_key (secret_hash);

-- Fixed-window throttle counters: one row per key, for its current window.
CREATE TABLE IF NOT EXISTS auth_throttle (
    key          TEXT    NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS IDX_auth_throttle_window_start
    ON auth_throttle (window_start);
