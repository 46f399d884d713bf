-- The knowledge base the bot answers from, and the record of what the bot decided per message.
-- Same logical shape as the SQLite backend's; tags and cited article keys are TEXT[], which keep
-- their order and compare element by element.

-- Keys are the ids: imports, citations and URLs refer to articles and categories by key. COLLATE "C"
-- orders them by code point, like SQLite, whatever the database's locale, and lets the primary key
-- index serve `ORDER BY key`.
CREATE TABLE kb_categories (
    key        TEXT COLLATE "C" PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE kb_articles (
    key        TEXT COLLATE "C" PRIMARY KEY,
    -- RESTRICT: a category is deleted only once it is empty (the store answers Conflict before this
    -- fires; the constraint keeps hand-made changes honest).
    category   TEXT COLLATE "C" NOT NULL REFERENCES kb_categories (key) ON DELETE RESTRICT,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT[] NOT NULL DEFAULT '{}',
    published  BOOLEAN NOT NULL,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles (category, key);

CREATE TABLE bot_decisions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    message_id      BIGINT NOT NULL REFERENCES messages (id),
    action          TEXT NOT NULL,
    stage           TEXT,
    intent          TEXT,
    -- REAL is float4: the domain's f32 round-trips exactly.
    confidence      REAL,
    reason          TEXT,
    -- Article keys in the order the answer cited them. No foreign key: a decision stays a faithful
    -- record after the article is edited away or deleted.
    article_ids     TEXT[] NOT NULL DEFAULT '{}',
    latency_us      BIGINT NOT NULL,
    note            TEXT,
    trace           TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX bot_decisions_conversation ON bot_decisions (conversation_id, id);
CREATE INDEX bot_decisions_created ON bot_decisions (created_at);
