-- Our own tables (not Medusa's), named as in the SQLite schema: revocations,
-- sessions, password reset tokens, refresh token families, API keys, invites
-- and throttle counters. Secrets are stored only as hashes (SHA-256,
-- base64url). Times are Unix seconds in bigint, the unit the store traits
-- speak, unless the column name ends in `_ms` (Unix milliseconds).

-- Deny-listed access tokens, by `jti`, until the token would have expired anyway.
CREATE TABLE IF NOT EXISTS auth_revoked_token (
    jti        text   NOT NULL PRIMARY KEY,
    expires_at bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS "IDX_auth_revoked_token_expires_at"
    ON auth_revoked_token (expires_at);

-- Per identity: tokens issued before this time (Unix milliseconds) are
-- rejected. No foreign key: revoking must work even for an identity this
-- database does not hold.
CREATE TABLE IF NOT EXISTS auth_identity_revocation (
    auth_identity_id   text   NOT NULL PRIMARY KEY,
    tokens_valid_after bigint NOT NULL
);

-- Server-side sessions, by the hash of the cookie's session id; `sid` is the
-- login of the bearer token a session was made from, if any.
CREATE TABLE IF NOT EXISTS auth_session (
    id_hash          text   NOT NULL PRIMARY KEY,
    auth_identity_id text   NOT NULL,
    context          jsonb  NOT NULL,
    sid              text   NULL,
    created_at_ms    bigint NOT NULL,
    last_seen_at     bigint NOT NULL,
    expires_at       bigint NOT NULL
);

-- The per-identity limit evicts an identity's oldest sessions first.
CREATE INDEX IF NOT EXISTS "IDX_auth_session_auth_identity_id_created_at_ms"
    ON auth_session (auth_identity_id, created_at_ms);

CREATE INDEX IF NOT EXISTS "IDX_auth_session_expires_at"
    ON auth_session (expires_at);

-- Pending password resets, single use.
CREATE TABLE IF NOT EXISTS auth_reset_token (
    token_hash       text   NOT NULL PRIMARY KEY,
    auth_identity_id text   NOT NULL,
    actor_type       text   NOT NULL,
    provider         text   NOT NULL,
    expires_at       bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS "IDX_auth_reset_token_auth_identity_id"
    ON auth_reset_token (auth_identity_id);

CREATE INDEX IF NOT EXISTS "IDX_auth_reset_token_expires_at"
    ON auth_reset_token (expires_at);

-- Rotating refresh tokens; `used_at` is set once, when the token is rotated.
CREATE TABLE IF NOT EXISTS auth_refresh_token (
    token_hash        text   NOT NULL PRIMARY KEY,
    family_id         text   NOT NULL,
    auth_identity_id  text   NOT NULL,
    actor_type        text   NOT NULL,
    expires_at        bigint NOT NULL,
    family_expires_at bigint NOT NULL,
    used_at           bigint NULL
);

CREATE INDEX IF NOT EXISTS "IDX_auth_refresh_token_family_id"
    ON auth_refresh_token (family_id);

CREATE INDEX IF NOT EXISTS "IDX_auth_refresh_token_auth_identity_id"
    ON auth_refresh_token (auth_identity_id);

CREATE INDEX IF NOT EXISTS "IDX_auth_refresh_token_family_expires_at"
    ON auth_refresh_token (family_expires_at);

-- Revoked refresh token families, kept until the family would have expired
-- anyway, then pruned together with its tokens.
CREATE TABLE IF NOT EXISTS auth_refresh_family_revoked (
    family_id         text   NOT NULL PRIMARY KEY,
    family_expires_at bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS "IDX_auth_refresh_family_revoked_family_expires_at"
    ON auth_refresh_family_revoked (family_expires_at);

-- Secret API keys, found by the hash of the secret.
CREATE TABLE IF NOT EXISTS auth_api_key (
    id          text   NOT NULL PRIMARY KEY,
    secret_hash text   NOT NULL,
    redacted    text   NOT NULL,
    title       text   NOT NULL,
    actor_id    text   NOT NULL,
    created_at  bigint NOT NULL,
    revoked_at  bigint NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS "IDX_auth_api_key_secret_hash"
    ON auth_api_key (secret_hash);

-- Invites to become an admin user (Medusa's `invite`), single use.
CREATE TABLE IF NOT EXISTS auth_invite (
    id          text   NOT NULL PRIMARY KEY,
    email       text   NOT NULL,
    token_hash  text   NOT NULL,
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL,
    accepted_at bigint NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS "IDX_auth_invite_token_hash"
    ON auth_invite (token_hash);

-- Fixed-window throttle counters: one row per key, for its current window.
CREATE TABLE IF NOT EXISTS auth_throttle (
    key          text   NOT NULL PRIMARY KEY,
    window_start bigint NOT NULL,
    count        bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS "IDX_auth_throttle_window_start"
    ON auth_throttle (window_start);
