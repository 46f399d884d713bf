-- Workflows: a draft document per workflow, its immutable published versions, the workflow each
-- account runs, where each conversation stands in one, and the integrations its Action nodes call.
-- Documents, tests and states are JSON text the engine owns; the store keeps them whole.

-- Rowid tables throughout: documents run to hundreds of kilobytes, and SQLite advises WITHOUT ROWID
-- only for small rows.
CREATE TABLE workflows (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    draft             TEXT    NOT NULL,
    tests             TEXT    NOT NULL,
    -- NULL until first published. No foreign key to workflow_versions: the two tables would
    -- reference each other, and the store only ever sets a version it has just read or written.
    published_version INTEGER,
    created_at        INTEGER NOT NULL,
    -- The last edit of name, draft or tests; publishing and rolling back leave it alone.
    updated_at        INTEGER NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id  INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    published_at INTEGER NOT NULL,
    published_by INTEGER REFERENCES operators (id),
    PRIMARY KEY (workflow_id, version)
);

-- CASCADE from accounts: an account without conversations may be deleted, and its choice of
-- workflow goes with it. RESTRICT towards workflows: a workflow in use is not deleted (the store
-- answers Conflict before this fires; the constraint keeps a hand-edited database honest).
CREATE TABLE account_workflows (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE RESTRICT
);
CREATE INDEX account_workflows_workflow ON account_workflows (workflow_id);

-- `version` has no foreign key: the interpreter's state names the version it started on, and the
-- store does not second-guess it.
CREATE TABLE flow_states (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
    workflow_id     INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX flow_states_workflow ON flow_states (workflow_id, version);

CREATE TABLE integrations (
    name       TEXT    NOT NULL PRIMARY KEY,
    base_url   TEXT    NOT NULL,
    -- A JSON object of header name to value (secrets: never logged).
    headers    TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
