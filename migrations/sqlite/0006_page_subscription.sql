-- When this tenant's `leads subscribe` installed the app on its Page (NULL:
-- it did not, or the Page changed since), so `disconnect` removes only an
-- installation this tenant made. Numbered as on PostgreSQL (0005 is a
-- PostgreSQL-only function).
ALTER TABLE meta_tokens ADD COLUMN page_subscribed_at TEXT;
