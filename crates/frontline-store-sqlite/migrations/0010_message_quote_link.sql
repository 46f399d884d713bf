-- A message's quoted reply and link preview, as the channel showed them (Avito's messages carry
-- `quote` and `link.preview`): JSON shapes of frontline-store's stored.rs, NULL when absent.
ALTER TABLE messages ADD COLUMN quote TEXT;
ALTER TABLE messages ADD COLUMN link_preview TEXT;
