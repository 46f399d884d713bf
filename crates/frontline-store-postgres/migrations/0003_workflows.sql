-- Workflows: a draft document per workflow, its immutable published versions, the workflow each
-- account runs, where each conversation stands in one, and the integrations its Action nodes call.
-- Same logical shape as the SQLite backend's. Documents, tests and states are JSON text the engine
-- owns and are kept as TEXT, byte for byte (JSONB would reorder keys and drop whitespace);
-- integration headers are a store-owned string map, so JSONB.

CREATE TABLE workflows (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              TEXT NOT NULL,
    draft             TEXT NOT NULL,
    tests             TEXT NOT NULL,
    -- NULL until first published. No foreign key to workflow_versions: the two tables would
    -- reference each other, and the store only ever sets a version it has just read or written
    -- under the workflow's row lock.
    published_version INTEGER,
    created_at        BIGINT NOT NULL,
    -- The last edit of name, draft or tests; publishing and rolling back leave it alone.
    updated_at        BIGINT NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id  BIGINT  NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    published_at BIGINT  NOT NULL,
    published_by BIGINT  REFERENCES operators (id),
    PRIMARY KEY (workflow_id, version)
);

-- CASCADE from accounts: an account without conversations may be deleted, and its choice of
-- workflow goes with it. RESTRICT towards workflows: a workflow in use is not deleted (the store
-- answers Conflict before this fires; the constraint keeps hand-made changes honest).
CREATE TABLE account_workflows (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    workflow_id BIGINT NOT NULL REFERENCES workflows (id) ON DELETE RESTRICT
);
CREATE INDEX account_workflows_workflow ON account_workflows (workflow_id);

-- `version` has no foreign key: the interpreter's state names the version it started on, and the
-- store does not second-guess it.
CREATE TABLE flow_states (
    conversation_id BIGINT  PRIMARY KEY REFERENCES conversations (id),
    workflow_id     BIGINT  NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX flow_states_workflow ON flow_states (workflow_id, version);

-- COLLATE "C": listed by code point, like SQLite, whatever the database's locale.
CREATE TABLE integrations (
    name       TEXT COLLATE "C" PRIMARY KEY,
    base_url   TEXT   NOT NULL,
    -- Header name to value (secrets: never logged).
    headers    JSONB  NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
