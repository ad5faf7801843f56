-- The language a person last used the portal in (`vi` or `en`): their e-mail comes in it.
ALTER TABLE users ADD COLUMN lang TEXT;
