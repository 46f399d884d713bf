-- The knowledge base as the admin console edits it: categories in an order of the editor's choosing,
-- and every article's history of revisions (who changed what and when), restorable. Same logical
-- shape as the SQLite backend's.

-- 1, 2, … in the order lists show; existing categories keep the key order they were listed in.
ALTER TABLE kb_categories ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE kb_categories k
   SET position = o.n
  FROM (SELECT key, ROW_NUMBER() OVER (ORDER BY key) AS n FROM kb_categories) o
 WHERE o.key = k.key;

-- One row per article version, written in the transaction of the change that made it: the content
-- after the change, its author and how it came (editor, import, restore). An article's history goes
-- with it when it is deleted, so a key created again starts over at version 1.
CREATE TABLE kb_article_revisions (
    key           TEXT COLLATE "C" NOT NULL REFERENCES kb_articles (key) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    category      TEXT COLLATE "C" NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    tags          TEXT[] NOT NULL DEFAULT '{}',
    published     BOOLEAN NOT NULL,
    source        TEXT NOT NULL,
    restored_from BIGINT,
    author_id     BIGINT REFERENCES operators (id),
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (key, version)
);

-- Articles written before history existed start theirs with their current version.
INSERT INTO kb_article_revisions
       (key, version, category, title, body, tags, published, source, author_id, created_at)
SELECT key, version, category, title, body, tags, published, 'import', NULL, updated_at
  FROM kb_articles;
