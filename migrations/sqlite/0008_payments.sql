-- Fee payments through the gateway. A payment moves from pending to paid or failed once,
-- only on the gateway's signed server-to-server notice (IPN); the provider's transaction
-- number is unique, so a replayed notice cannot pay twice.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    txn_ref         TEXT NOT NULL UNIQUE,
    amount_vnd      BIGINT NOT NULL CHECK (amount_vnd > 0),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    provider_txn_no TEXT UNIQUE,
    bank_code       TEXT,
    response_code   TEXT,
    created_at      TEXT NOT NULL,
    settled_at      TEXT
);
CREATE INDEX payments_dossier ON payments (dossier_id, created_at);
