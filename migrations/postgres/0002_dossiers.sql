-- Dossiers (the core columns; filing adds answers, documents and payments) and the
-- database-backed rate-limit counters shared by every server instance.
CREATE TABLE dossiers (
    id                  TEXT PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    procedure_code      TEXT NOT NULL REFERENCES procedures (code),
    unit_code           TEXT NOT NULL REFERENCES admin_units (code),
    channel             BIGINT NOT NULL CHECK (channel IN (1, 2, 3)),
    status              BIGINT NOT NULL CHECK (status BETWEEN 1 AND 10),
    applicant_id_suffix TEXT NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL,
    due_at              TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX dossiers_unit_status ON dossiers (unit_code, status);

CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
