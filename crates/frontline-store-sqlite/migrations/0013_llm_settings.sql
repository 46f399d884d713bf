-- The language model's settings saved in the admin console (they replace the configuration
-- file's [llm] once saved); the API key only sealed with the server key.
CREATE TABLE llm_settings (
    id             INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    settings       TEXT    NOT NULL,
    sealed_api_key TEXT,
    updated_by     INTEGER  REFERENCES operators (id),
    updated_at     INTEGER  NOT NULL
);
