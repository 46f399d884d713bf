-- frontline's schema on SQLite. Times are INTEGER milliseconds since the Unix epoch; ids are rowids.
-- Append-only: later changes go into new numbered files.

CREATE TABLE operators (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_operator ON sessions (operator_id);

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    enabled            INTEGER NOT NULL DEFAULT 1,
    callback_url       TEXT,
    inbound_token_hash TEXT,
    created_at         INTEGER NOT NULL
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    external_id TEXT    NOT NULL,
    name        TEXT,
    avatar_url  TEXT,
    phone       TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, external_id)
);

CREATE TABLE conversations (
    id                     INTEGER PRIMARY KEY,
    account_id             INTEGER NOT NULL REFERENCES accounts (id),
    customer_id            INTEGER NOT NULL REFERENCES customers (id),
    external_chat_id       TEXT    NOT NULL,
    -- All NULL: the conversation is not about a listing.
    listing_external_id    TEXT,
    listing_title          TEXT,
    listing_price          TEXT,
    listing_url            TEXT,
    listing_image_url      TEXT,
    lead                   TEXT    NOT NULL,
    assignee_id            INTEGER REFERENCES operators (id),
    status                 TEXT    NOT NULL,
    intent                 TEXT,
    slots                  TEXT    NOT NULL DEFAULT '{}',
    unread_count           INTEGER NOT NULL DEFAULT 0,
    -- Denormalised last message (no foreign key: messages reference conversations).
    last_message_id        INTEGER,
    last_message_text      TEXT,
    last_message_direction TEXT,
    last_message_at        INTEGER,
    -- Time of the last message, or created_at when there is none: the list order.
    activity_at            INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    UNIQUE (account_id, external_chat_id)
);
CREATE INDEX conversations_activity ON conversations (activity_at DESC, id DESC);
CREATE INDEX conversations_lead ON conversations (lead, activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, activity_at DESC, id DESC);
CREATE INDEX conversations_account ON conversations (account_id, activity_at DESC, id DESC);
CREATE INDEX conversations_customer ON conversations (customer_id);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id),
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    direction          TEXT    NOT NULL,
    author_kind        TEXT    NOT NULL,
    author_operator_id INTEGER REFERENCES operators (id),
    text               TEXT    NOT NULL,
    attachments        TEXT    NOT NULL DEFAULT '[]',
    external_id        TEXT,
    status             TEXT    NOT NULL,
    error              TEXT,
    created_at         INTEGER NOT NULL,
    -- frontline_text::index_terms(text): what the full-text index sees.
    search_terms       TEXT    NOT NULL
);
-- Inbound idempotency, and outbound ids once the channel has assigned them.
CREATE UNIQUE INDEX messages_external ON messages (account_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Full-text index over the stemmed terms, stored once (external content = messages). Stemming happened in
-- Rust, so the tokenizer only has to split on the spaces between terms and must not alter them further.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    search_terms,
    content = 'messages',
    content_rowid = 'id',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_terms) VALUES ('delete', old.id, old.search_terms);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF search_terms ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_terms) VALUES ('delete', old.id, old.search_terms);
    INSERT INTO messages_fts (rowid, search_terms) VALUES (new.id, new.search_terms);
END;

CREATE TABLE handoffs (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES conversations (id),
    from_lead         TEXT    NOT NULL,
    to_lead           TEXT    NOT NULL,
    reason            TEXT    NOT NULL,
    actor_kind        TEXT    NOT NULL,
    actor_operator_id INTEGER REFERENCES operators (id),
    intent            TEXT,
    summary           TEXT,
    slots             TEXT    NOT NULL DEFAULT '{}',
    briefing          TEXT,
    created_at        INTEGER NOT NULL
);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id, id);

CREATE TABLE quick_replies (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    owner_id   INTEGER REFERENCES operators (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX quick_replies_owner ON quick_replies (owner_id);

-- AUTOINCREMENT: a deleted (finished) job's id is never handed to a new job, so a stale worker holding
-- an old id cannot touch someone else's job.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    message_id      INTEGER NOT NULL REFERENCES messages (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    run_at          INTEGER NOT NULL,
    locked_until    INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (kind, run_at);

-- The durable event log. AUTOINCREMENT so that pruned seqs are never reused; the single writer
-- connection makes seq order equal commit order.
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    conversation_id INTEGER NOT NULL,
    message_id      INTEGER,
    handoff_id      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
