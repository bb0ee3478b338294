-- A session made from a bearer token records that token's login (`sid`), so
-- ending the login (logout with a bearer token, refresh-token reuse) ends the
-- session too. NULL for sessions created before this column existed.
ALTER TABLE auth_session ADD COLUMN sid TEXT NULL;
