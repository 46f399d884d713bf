-- What each operator chose in the messenger (hidden accounts, sound, language), kept server-side so
-- it follows them to another browser.
CREATE TABLE operator_preferences (
    operator_id        INTEGER PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    -- Comma-separated account ids, ascending.
    hidden_account_ids TEXT    NOT NULL DEFAULT '',
    sound_muted        INTEGER NOT NULL DEFAULT 0,
    language           TEXT,
    updated_at         INTEGER NOT NULL
);
