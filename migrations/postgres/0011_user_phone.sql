-- The phone number the identity provider gives (normalised), for prefilling forms.
ALTER TABLE users ADD COLUMN phone TEXT;
