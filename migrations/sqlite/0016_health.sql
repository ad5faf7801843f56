-- The electronic health record. The portal keeps no clinical data: only the resident's
-- consent, who read what (the access log they see) and the share links they made.

-- Consent to show the health record, per version of the notice; withdrawing ends it.
CREATE TABLE health_consents (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    version      TEXT NOT NULL,
    given_at     TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX health_consents_user ON health_consents (user_id, given_at);

-- Every read, export, share and denial of a record, kept under whose record it is (the
-- subject's ID number). Names of events and ids only, never a health value.
CREATE TABLE health_access (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    subject    TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor_id   TEXT REFERENCES users (id),
    actor_kind TEXT NOT NULL,
    event      TEXT NOT NULL,
    object     TEXT,
    recipient  TEXT
);
CREATE INDEX health_access_subject ON health_access (subject, seq);

-- SMART Health Links. The link's key never reaches the server: it keeps the encrypted file,
-- a hash of the manifest token and a salted hash of the passcode.
CREATE TABLE health_shares (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    subject        TEXT NOT NULL,
    scope          TEXT NOT NULL,
    label          TEXT NOT NULL,
    manifest_hash  TEXT NOT NULL UNIQUE,
    passcode_hash  TEXT NOT NULL,
    attempts_left  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    revoked_at     TEXT,
    file_jwe       TEXT NOT NULL
);
CREATE INDEX health_shares_user ON health_shares (user_id, created_at);
