-- What the portal itself writes on a timeline step is kept as a code with its parameters
-- (`said`, JSON), so each reader sees it in their own language; `note` keeps only what a
-- person wrote. The fixed sentences written before are turned into their codes.
ALTER TABLE dossier_events ADD COLUMN said JSONB;
UPDATE dossier_events SET said = '{"code":"counter_intake"}', note = NULL
    WHERE note = 'Tiếp nhận trực tiếp tại bộ phận một cửa';
UPDATE dossier_events SET said = '{"code":"supplement_sent"}', note = NULL
    WHERE note = 'Công dân đã bổ sung hồ sơ';
