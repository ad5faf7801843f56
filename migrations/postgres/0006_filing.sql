-- Online filing: drafts that survive devices and dropped connections, the dossier's answers and
-- owner, its timeline, and the outbox that notifications are delivered from.
CREATE TABLE drafts (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    procedure_code  TEXT NOT NULL REFERENCES procedures (code),
    answers         JSONB NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    revision        BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX drafts_user ON drafts (user_id, updated_at);
CREATE INDEX drafts_expiry ON drafts (expires_at);

ALTER TABLE dossiers ADD COLUMN user_id TEXT REFERENCES users (id);
ALTER TABLE dossiers ADD COLUMN idempotency_key TEXT;
ALTER TABLE dossiers ADD COLUMN applicant_name TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN answers JSONB NOT NULL DEFAULT '{}';
ALTER TABLE dossiers ADD COLUMN fee_vnd BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX dossiers_idempotency ON dossiers (idempotency_key);
CREATE INDEX dossiers_user ON dossiers (user_id, received_at);

CREATE TABLE dossier_events (
    id         TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    at         TIMESTAMPTZ NOT NULL,
    status     BIGINT NOT NULL CHECK (status BETWEEN 1 AND 10),
    actor_role TEXT NOT NULL,
    actor_id   TEXT,
    note       TEXT
);
CREATE INDEX dossier_events_dossier ON dossier_events (dossier_id, at);

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    dossier_id   TEXT REFERENCES dossiers (id),
    payload      JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (delivered_at, created_at);
