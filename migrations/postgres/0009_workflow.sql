-- The ward's work on a dossier: who holds it, which stage it is at (officer or leader), the
-- supplement requests that pause its clock, the deadline flag the periodic job keeps, the
-- result, counter intake, and the notifications and e-mail delivered from the outbox.
ALTER TABLE dossiers ADD COLUMN working_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN assignee_id TEXT REFERENCES users (id);
ALTER TABLE dossiers ADD COLUMN stage TEXT NOT NULL DEFAULT 'officer';
ALTER TABLE dossiers ADD COLUMN supplement_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN deadline_flag TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN finished_at TIMESTAMPTZ;
ALTER TABLE dossiers ADD COLUMN on_time BOOLEAN;
ALTER TABLE dossiers ADD COLUMN apology_due_at TIMESTAMPTZ;
ALTER TABLE dossiers ADD COLUMN applicant_cccd TEXT;
ALTER TABLE dossiers ADD COLUMN filed_by TEXT REFERENCES users (id);
ALTER TABLE dossiers ADD COLUMN apology_reason TEXT;
ALTER TABLE dossiers ADD COLUMN payment_due_vnd BIGINT;
ALTER TABLE dossiers ADD COLUMN consent_at TIMESTAMPTZ;
CREATE INDEX dossiers_unit_due ON dossiers (unit_code, due_at);
CREATE INDEX dossiers_applicant ON dossiers (applicant_cccd);

ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE payments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'fee';
CREATE INDEX audit_object ON audit_log (object);

CREATE TABLE supplements (
    id            TEXT PRIMARY KEY,
    dossier_id    TEXT NOT NULL REFERENCES dossiers (id),
    requested_at TIMESTAMPTZ NOT NULL,
    requested_by  TEXT NOT NULL REFERENCES users (id),
    resume_status BIGINT NOT NULL CHECK (resume_status BETWEEN 1 AND 10),
    items JSONB NOT NULL,
    note          TEXT NOT NULL,
    completed_at TIMESTAMPTZ
);
CREATE INDEX supplements_dossier ON supplements (dossier_id, requested_at);

CREATE TABLE notifications (
    seq        BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outbox_id  TEXT NOT NULL,
    dossier_id TEXT REFERENCES dossiers (id),
    topic      TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ,
    UNIQUE (outbox_id, user_id)
);
CREATE INDEX notifications_user ON notifications (user_id, seq);

CREATE TABLE mail_queue (
    id              TEXT PRIMARY KEY,
    outbox_id       TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    last_error      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (outbox_id, to_addr)
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, failed_at, next_attempt_at);
