-- The bot's configuration, edited in the admin console: the published versions (the newest one
-- runs) and one draft. Documents are kept as text so that an export returns what was imported.
CREATE TABLE bot_config_versions (
    version      INTEGER NOT NULL PRIMARY KEY,
    document     TEXT    NOT NULL,
    note         TEXT,
    published_by INTEGER  REFERENCES operators (id),
    published_at INTEGER  NOT NULL,
    report       TEXT
);

CREATE TABLE bot_config_draft (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    document   TEXT    NOT NULL,
    revision   INTEGER  NOT NULL,
    based_on   INTEGER,
    updated_by INTEGER  REFERENCES operators (id),
    updated_at INTEGER  NOT NULL
);
