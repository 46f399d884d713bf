-- The knowledge base as the admin console edits it: categories in an order of the editor's choosing,
-- and every article's history of revisions (who changed what and when), restorable.

-- 1, 2, … in the order lists show; existing categories keep the key order they were listed in.
ALTER TABLE kb_categories ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE kb_categories
   SET position = (SELECT COUNT(*) FROM kb_categories c WHERE c.key <= kb_categories.key);

-- One row per article version, written in the transaction of the change that made it: the content
-- after the change, its author and how it came (editor, import, restore). An article's history goes
-- with it when it is deleted, so a key created again starts over at version 1.
CREATE TABLE kb_article_revisions (
    key           TEXT    NOT NULL REFERENCES kb_articles (key) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    -- A JSON array of strings, as in kb_articles.
    tags          TEXT    NOT NULL DEFAULT '[]',
    published     INTEGER NOT NULL,
    source        TEXT    NOT NULL,
    restored_from INTEGER,
    author_id     INTEGER REFERENCES operators (id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (key, version)
);

-- Articles written before history existed start theirs with their current version.
INSERT INTO kb_article_revisions
       (key, version, category, title, body, tags, published, source, author_id, created_at)
SELECT key, version, category, title, body, tags, published, 'import', NULL, updated_at
  FROM kb_articles;
