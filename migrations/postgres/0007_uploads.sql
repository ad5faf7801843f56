-- Attachments: uploaded in chunks against a draft, checked by content, kept outside any served
-- folder under a random id, and handed to the dossier when it is filed.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    draft_id      TEXT REFERENCES drafts (id) ON DELETE SET NULL,
    dossier_id    TEXT REFERENCES dossiers (id),
    slot          TEXT NOT NULL,
    name          TEXT NOT NULL,
    size          BIGINT NOT NULL CHECK (size > 0),
    received      BIGINT NOT NULL,
    kind          TEXT CHECK (kind IN ('pdf', 'jpeg', 'png')),
    sha256        TEXT,
    complete      BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX uploads_draft ON uploads (draft_id, slot);
CREATE INDEX uploads_dossier ON uploads (dossier_id);
