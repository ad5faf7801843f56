-- Catalogue, administrative units, working-day calendar and dossier-code counters.
CREATE TABLE sectors (
    code    TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE admin_units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('phuong', 'xa'))
);

CREATE TABLE procedures (
    code                    TEXT PRIMARY KEY,
    slug                    TEXT NOT NULL UNIQUE,
    name_vi                 TEXT NOT NULL,
    name_en                 TEXT NOT NULL,
    sector                  TEXT NOT NULL REFERENCES sectors (code),
    level                   TEXT NOT NULL CHECK (level IN ('commune', 'province')),
    online                  TEXT NOT NULL CHECK (online IN ('full', 'partial')),
    popular                 BOOLEAN NOT NULL,
    processing_working_days BIGINT NOT NULL CHECK (processing_working_days > 0),
    fee_vnd                 BIGINT NOT NULL CHECK (fee_vnd >= 0),
    search_text             TEXT NOT NULL,
    detail                  JSONB NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX procedures_sector ON procedures (sector);

CREATE TABLE holidays (
    day     DATE PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('off', 'workday')),
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    source  TEXT NOT NULL
);

CREATE TABLE dossier_code_counters (
    unit_id  TEXT NOT NULL,
    day      DATE NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (unit_id, day)
);
