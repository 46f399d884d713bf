-- Channels beyond the generic API (Avito first): per-account settings and sealed secrets, raw webhook
-- deliveries kept before they are acknowledged, the channel's ids of what we sent, and stored files.
-- Same logical shape as the SQLite backend's. There is no CHECK on messages.author_kind to widen:
-- the new author kind 'external' needs no change.

-- Settings are JSON text the channel module owns (TEXT, byte for byte, like workflow documents);
-- sealed secrets are ciphertext the channel layer produces and the store never interprets.
ALTER TABLE accounts ADD COLUMN settings TEXT;
ALTER TABLE accounts ADD COLUMN sealed_secrets TEXT;

-- A queue like `jobs`, claimed with FOR UPDATE SKIP LOCKED. Identity ids are never reused, so a
-- stale worker holding a finished delivery's id cannot touch another one. CASCADE: a deleted
-- account's pending deliveries mean nothing any more.
CREATE TABLE channel_deliveries (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    body         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    run_at       BIGINT NOT NULL,
    leased_until BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX channel_deliveries_due ON channel_deliveries (run_at, id);
CREATE INDEX channel_deliveries_account ON channel_deliveries (account_id);

-- One row per channel message an outbound message went out as (a long text is split). The account is
-- the message's, copied (without a foreign key, like messages.account_id) so that the account's
-- idempotency keys are one index lookup away.
CREATE TABLE external_sends (
    message_id  BIGINT NOT NULL REFERENCES messages (id),
    account_id  BIGINT NOT NULL,
    part        INTEGER NOT NULL,
    external_id TEXT NOT NULL,
    PRIMARY KEY (message_id, part),
    UNIQUE (account_id, external_id)
);

-- Files kept whole in the database, so that a backup of the database is a backup of everything.
-- SET NULL: a file may be referenced from messages of other accounts and outlives its account.
CREATE TABLE media (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    mime       TEXT NOT NULL,
    name       TEXT,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_account ON media (account_id);
