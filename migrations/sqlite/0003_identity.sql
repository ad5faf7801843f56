-- People (keyed by identity provider + subject), staff roles per commune-level unit,
-- server-side sessions, pending logins, and the append-only, hash-chained audit log.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    issuer         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    name           TEXT NOT NULL,
    cccd           TEXT,
    birthdate      TEXT,
    address        TEXT,
    identity_level BIGINT NOT NULL,
    is_admin       BOOLEAN NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     TEXT NOT NULL,
    last_login_at  TEXT NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX users_cccd ON users (cccd);

CREATE TABLE staff_roles (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    unit_code  TEXT NOT NULL REFERENCES admin_units (code),
    role       TEXT NOT NULL CHECK (role IN ('officer', 'leader')),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, unit_code, role)
);

CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    staff          BOOLEAN NOT NULL,
    identity_level BIGINT NOT NULL,
    auth_time      TEXT NOT NULL,
    id_token       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    state         TEXT PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    step_up       BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT,
    actor_role TEXT NOT NULL,
    actor_unit TEXT,
    action     TEXT NOT NULL,
    object     TEXT,
    outcome    TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    detail     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
