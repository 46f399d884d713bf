-- Channels beyond the generic API (Avito first): per-account settings and sealed secrets, raw webhook
-- deliveries kept before they are acknowledged, the channel's ids of what we sent, and stored files.
-- There is no CHECK on messages.author_kind to widen: the new author kind 'external' needs no change.

-- Settings are JSON text the channel module owns; sealed secrets are ciphertext the channel layer
-- produces and the store never interprets.
ALTER TABLE accounts ADD COLUMN settings TEXT;
ALTER TABLE accounts ADD COLUMN sealed_secrets TEXT;

-- A queue like `jobs`: AUTOINCREMENT so that a finished delivery's id is never handed out again and
-- a stale worker holding it cannot touch another delivery. CASCADE: a deleted account's pending
-- deliveries mean nothing any more.
CREATE TABLE channel_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    body         TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    leased_until INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX channel_deliveries_due ON channel_deliveries (run_at, id);
CREATE INDEX channel_deliveries_account ON channel_deliveries (account_id);

-- One row per channel message an outbound message went out as (a long text is split). The account is
-- the message's, copied so that the account's idempotency keys are one index lookup away.
CREATE TABLE external_sends (
    message_id  INTEGER NOT NULL REFERENCES messages (id),
    account_id  INTEGER NOT NULL,
    part        INTEGER NOT NULL,
    external_id TEXT    NOT NULL,
    PRIMARY KEY (message_id, part),
    UNIQUE (account_id, external_id)
) WITHOUT ROWID;

-- Files kept whole in the database, so that a backup of one file is a backup of everything. SET NULL:
-- a file may be referenced from messages of other accounts and outlives its account.
CREATE TABLE media (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    mime       TEXT    NOT NULL,
    name       TEXT,
    size       INTEGER NOT NULL,
    bytes      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX media_account ON media (account_id);
