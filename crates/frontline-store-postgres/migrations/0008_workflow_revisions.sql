-- The workflow studio: a draft's revision, so two editors cannot silently overwrite each other's
-- saves (an editor sends the revision it started from; the store refuses a save over a newer one),
-- and the publisher's note kept with each version. Existing drafts start at revision 1. Same logical
-- shape as the SQLite backend's.
ALTER TABLE workflows ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE workflow_versions ADD COLUMN note TEXT;
