-- OpenID Connect back-channel logout: the provider's session id (`sid`) of each login, so a
-- logout at the provider ends exactly the sessions it began; and the logout tokens already
-- used, so a replayed one is refused.
ALTER TABLE sessions ADD COLUMN provider_sid TEXT;
CREATE INDEX sessions_provider_sid ON sessions (provider_sid);
CREATE TABLE logout_tokens (
    jti      TEXT PRIMARY KEY,
    issuer   TEXT NOT NULL,
    seen_at  TEXT NOT NULL
);
