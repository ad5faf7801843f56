-- Counter intake: the consent the resident gave (its text's version and how: on their own
-- phone, or by signing the printed receipt), and the paper documents the officer received.
ALTER TABLE dossiers ADD COLUMN consent_version TEXT;
ALTER TABLE dossiers ADD COLUMN consent_method TEXT;
ALTER TABLE dossiers ADD COLUMN consent_by TEXT REFERENCES users (id);
ALTER TABLE dossiers ADD COLUMN paper_documents TEXT;
-- A confirmation the counter asks for and the resident gives on their own phone, signed in
-- with VNeID as the person whose ID number the officer typed. Used for one dossier.
CREATE TABLE intake_consents (
    token          TEXT PRIMARY KEY,
    unit_code      TEXT NOT NULL REFERENCES admin_units (code),
    officer_id     TEXT NOT NULL REFERENCES users (id),
    cccd           TEXT NOT NULL,
    procedure_code TEXT NOT NULL REFERENCES procedures (code),
    version        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    confirmed_at   TEXT,
    confirmed_by   TEXT REFERENCES users (id),
    dossier_id     TEXT REFERENCES dossiers (id)
);
CREATE INDEX intake_consents_unit ON intake_consents (unit_code, created_at);
