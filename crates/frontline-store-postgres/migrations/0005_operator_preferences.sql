-- What each operator chose in the messenger (hidden accounts, sound, language), kept server-side so
-- it follows them to another browser.
CREATE TABLE operator_preferences (
    operator_id        BIGINT PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    hidden_account_ids BIGINT[] NOT NULL DEFAULT '{}',
    sound_muted        BOOLEAN  NOT NULL DEFAULT FALSE,
    language           TEXT,
    updated_at         BIGINT   NOT NULL
);
