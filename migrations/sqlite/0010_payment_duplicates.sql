-- A successful notice for a fee that is no longer owed (paid in another tab, or at the counter)
-- is kept as a duplicate to refund, never as a second payment: status `duplicate`. At most one
-- attempt pays a dossier's filing fee.
CREATE TABLE payments_v10 (
    id              TEXT PRIMARY KEY,
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    txn_ref         TEXT NOT NULL UNIQUE,
    amount_vnd      BIGINT NOT NULL CHECK (amount_vnd > 0),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'duplicate')),
    provider_txn_no TEXT UNIQUE,
    bank_code       TEXT,
    response_code   TEXT,
    created_at      TEXT NOT NULL,
    settled_at      TEXT,
    purpose         TEXT NOT NULL DEFAULT 'fee'
);
INSERT INTO payments_v10 (id, dossier_id, txn_ref, amount_vnd, status, provider_txn_no, bank_code,
                          response_code, created_at, settled_at, purpose)
    SELECT id, dossier_id, txn_ref, amount_vnd, status, provider_txn_no, bank_code, response_code,
           created_at, settled_at, purpose
    FROM payments;
DROP TABLE payments;
ALTER TABLE payments_v10 RENAME TO payments;
CREATE INDEX payments_dossier ON payments (dossier_id, created_at);
CREATE UNIQUE INDEX payments_one_fee ON payments (dossier_id) WHERE purpose = 'fee' AND status = 'paid';
