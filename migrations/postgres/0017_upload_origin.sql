-- Where an attached file came from when the resident did not upload it: a document the
-- health system issued (the electronic birth certificate), fetched from the resident's own
-- health record at their request. The dossier and the ward officer show it as such.
ALTER TABLE uploads ADD COLUMN origin TEXT CHECK (origin IN ('health'));
-- The facility that issued it, as the health system names it.
ALTER TABLE uploads ADD COLUMN origin_issuer TEXT;
-- The document's own number (e.g. the birth certificate's).
ALTER TABLE uploads ADD COLUMN origin_number TEXT;
-- The day the facility issued it.
ALTER TABLE uploads ADD COLUMN origin_issued DATE;
-- The document's reference at the source, so the same document is attached only once.
ALTER TABLE uploads ADD COLUMN origin_ref TEXT;
-- A document is attached to a draft once, even when asked for twice at the same moment.
CREATE UNIQUE INDEX uploads_draft_origin ON uploads (draft_id, origin_ref) WHERE origin_ref IS NOT NULL;
