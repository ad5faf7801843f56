-- Children and others the person legally represents, as the identity provider states them
-- (JSON list of {cccd, name, birthdate, relationship}).
ALTER TABLE users ADD COLUMN dependents TEXT NOT NULL DEFAULT '[]';
