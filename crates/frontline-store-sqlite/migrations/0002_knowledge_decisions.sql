-- The knowledge base the bot answers from, and the record of what the bot decided per message.

-- Keys are the ids: imports, citations and URLs refer to articles and categories by key.
CREATE TABLE kb_categories (
    key        TEXT    NOT NULL PRIMARY KEY,
    title      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A rowid table, unlike the categories: bodies run to tens of kilobytes, and SQLite advises
-- WITHOUT ROWID only for small rows.
CREATE TABLE kb_articles (
    key        TEXT    NOT NULL PRIMARY KEY,
    -- RESTRICT: a category is deleted only once it is empty (the store answers Conflict before this
    -- fires; the constraint keeps a hand-edited database honest).
    category   TEXT    NOT NULL REFERENCES kb_categories (key) ON DELETE RESTRICT,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    -- A JSON array of strings, in the editor's order.
    tags       TEXT    NOT NULL DEFAULT '[]',
    published  INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles (category, key);

CREATE TABLE bot_decisions (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    message_id      INTEGER NOT NULL REFERENCES messages (id),
    action          TEXT    NOT NULL,
    stage           TEXT,
    intent          TEXT,
    confidence      REAL,
    reason          TEXT,
    -- A JSON array of article keys, in the order the answer cited them. No foreign key: a decision
    -- stays a faithful record after the article is edited away or deleted.
    article_ids     TEXT    NOT NULL DEFAULT '[]',
    latency_us      INTEGER NOT NULL,
    note            TEXT,
    trace           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX bot_decisions_conversation ON bot_decisions (conversation_id, id);
CREATE INDEX bot_decisions_created ON bot_decisions (created_at);
