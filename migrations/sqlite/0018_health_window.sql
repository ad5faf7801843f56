-- The health record opens in a session at a read soon after a login, and stays open while it
-- is read (idle and absolute limits in the configuration); signing out ends it with the session.
ALTER TABLE sessions ADD COLUMN health_opened_at TEXT;
ALTER TABLE sessions ADD COLUMN health_seen_at TEXT;
