-- A successful notice for a fee that is no longer owed (paid in another tab, or at the counter)
-- is kept as a duplicate to refund, never as a second payment: status `duplicate`. At most one
-- attempt pays a dossier's filing fee.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'paid', 'failed', 'duplicate'));
CREATE UNIQUE INDEX payments_one_fee ON payments (dossier_id) WHERE purpose = 'fee' AND status = 'paid';
