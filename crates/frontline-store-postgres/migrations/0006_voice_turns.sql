-- One row per turn of a phone call: what was recognised and answered, and where the time went, for
-- analytics. Durations are milliseconds; NULL means the stage did not run for the turn. Same logical
-- shape as the SQLite backend's.
CREATE TABLE voice_turns (
    id                        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id           BIGINT  NOT NULL REFERENCES conversations (id),
    -- The telephony side's id of the call; a conversation can hold several calls.
    call_id                   TEXT    NOT NULL,
    turn                      INTEGER NOT NULL,
    recognised                TEXT    NOT NULL,
    answer                    TEXT,
    intent                    TEXT,
    speech_ms                 BIGINT  NOT NULL,
    end_of_speech_to_audio_ms BIGINT,
    recognition_ms            BIGINT  NOT NULL,
    engine_ms                 BIGINT,
    synthesis_ms              BIGINT,
    barge_in                  BOOLEAN NOT NULL,
    dtmf                      BOOLEAN NOT NULL,
    created_at                BIGINT  NOT NULL,
    -- A retried write must not count a turn twice; also serves reading a call by turn.
    CONSTRAINT voice_turns_call_turn UNIQUE (call_id, turn)
);
CREATE INDEX voice_turns_conversation ON voice_turns (conversation_id, id);
