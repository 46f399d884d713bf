-- One row per turn of a phone call: what was recognised and answered, and where the time went, for
-- analytics. Durations are milliseconds; NULL means the stage did not run for the turn.
CREATE TABLE voice_turns (
    id                        INTEGER PRIMARY KEY,
    conversation_id           INTEGER NOT NULL REFERENCES conversations (id),
    -- The telephony side's id of the call; a conversation can hold several calls.
    call_id                   TEXT    NOT NULL,
    turn                      INTEGER NOT NULL,
    recognised                TEXT    NOT NULL,
    answer                    TEXT,
    intent                    TEXT,
    speech_ms                 INTEGER NOT NULL,
    end_of_speech_to_audio_ms INTEGER,
    recognition_ms            INTEGER NOT NULL,
    engine_ms                 INTEGER,
    synthesis_ms              INTEGER,
    barge_in                  INTEGER NOT NULL,
    dtmf                      INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    -- A retried write must not count a turn twice; also serves reading a call by turn.
    UNIQUE (call_id, turn)
);
CREATE INDEX voice_turns_conversation ON voice_turns (conversation_id, id);
