-- frontline's PostgreSQL schema. Same logical shape as the SQLite backend's; time is BIGINT
-- milliseconds since the Unix epoch, ids are BIGINT identities, attachments and slots are JSONB.

CREATE TABLE operators (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_operator ON sessions (operator_id);

CREATE TABLE accounts (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL DEFAULT TRUE,
    callback_url       TEXT,
    inbound_token_hash TEXT,
    created_at         BIGINT NOT NULL
);

CREATE TABLE customers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    external_id TEXT NOT NULL,
    name        TEXT,
    avatar_url  TEXT,
    phone       TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (account_id, external_id)
);

CREATE TABLE conversations (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id          BIGINT NOT NULL REFERENCES accounts (id),
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    external_chat_id    TEXT NOT NULL,
    -- All NULL: the conversation is about no listing.
    listing_external_id TEXT,
    listing_title       TEXT,
    listing_price       TEXT,
    listing_url         TEXT,
    listing_image_url   TEXT,
    lead                TEXT NOT NULL,
    assignee_id         BIGINT REFERENCES operators (id),
    status              TEXT NOT NULL,
    intent              TEXT,
    slots               JSONB NOT NULL DEFAULT '{}',
    unread_count        BIGINT NOT NULL DEFAULT 0,
    -- Denormalised last message, so that list rows need no join on messages.
    last_message_id     BIGINT,
    last_message_text   TEXT,
    last_message_direction TEXT,
    last_message_at     BIGINT,
    -- Time of the last message, or created_at while there is none: the list order.
    activity_at         BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (account_id, external_chat_id)
);
CREATE INDEX conversations_activity ON conversations (activity_at DESC, id DESC);
CREATE INDEX conversations_lead_activity ON conversations (lead, activity_at DESC, id DESC);
CREATE INDEX conversations_assignee_activity ON conversations (assignee_id, activity_at DESC, id DESC);
CREATE INDEX conversations_account_activity ON conversations (account_id, activity_at DESC, id DESC);
CREATE INDEX conversations_customer ON conversations (customer_id);

CREATE TABLE messages (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id    BIGINT NOT NULL REFERENCES conversations (id),
    -- The conversation's account, copied so that idempotency keys and the search's account filter
    -- need no join. No foreign key: the conversation's already guarantees it, and every foreign key
    -- check costs a lookup per row on bulk imports.
    account_id         BIGINT NOT NULL,
    direction          TEXT NOT NULL,
    author_kind        TEXT NOT NULL,
    author_operator_id BIGINT REFERENCES operators (id),
    text               TEXT NOT NULL,
    attachments        JSONB NOT NULL DEFAULT '[]',
    external_id        TEXT,
    status             TEXT NOT NULL,
    error              TEXT,
    created_at         BIGINT NOT NULL,
    -- frontline_text::index_terms(text): stemming happens in Rust so both backends agree, and the
    -- 'simple' configuration only splits and lowercases what is already normalised.
    search_terms       TEXT NOT NULL,
    search_vector      TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search_terms)) STORED
);
-- Inbound idempotency, and the channel's ids of sent outbound messages.
CREATE UNIQUE INDEX messages_external ON messages (account_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_search ON messages USING GIN (search_vector);

ALTER TABLE conversations
    ADD CONSTRAINT conversations_last_message_fk FOREIGN KEY (last_message_id) REFERENCES messages (id);

CREATE TABLE handoffs (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id   BIGINT NOT NULL REFERENCES conversations (id),
    from_lead         TEXT NOT NULL,
    to_lead           TEXT NOT NULL,
    reason            TEXT NOT NULL,
    actor_kind        TEXT NOT NULL,
    actor_operator_id BIGINT REFERENCES operators (id),
    intent            TEXT,
    summary           TEXT,
    slots             JSONB NOT NULL DEFAULT '{}',
    briefing          TEXT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id, id);

CREATE TABLE quick_replies (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    owner_id   BIGINT REFERENCES operators (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    message_id      BIGINT NOT NULL REFERENCES messages (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    run_at          BIGINT NOT NULL,
    locked_until    BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (kind, run_at);

-- The durable event log. seq comes from an identity sequence; writers append under a transaction-level
-- advisory lock so that seq order is commit order (see the crate's `events` module).
CREATE TABLE events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    conversation_id BIGINT NOT NULL,
    message_id      BIGINT,
    handoff_id      BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
