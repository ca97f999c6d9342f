-- Attribution of leads to Meta ads: the seed's six columns and its follow-ups.
ALTER TABLE leads
    ADD COLUMN IF NOT EXISTS lead_source        TEXT NOT NULL DEFAULT 'ORGANIC',
    ADD COLUMN IF NOT EXISTS meta_campaign_id   TEXT,
    ADD COLUMN IF NOT EXISTS meta_ad_id         TEXT,
    ADD COLUMN IF NOT EXISTS meta_ad_headline   TEXT,
    ADD COLUMN IF NOT EXISTS meta_ad_body       TEXT,
    ADD COLUMN IF NOT EXISTS external_ids       JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS meta_adset_id      TEXT,
    ADD COLUMN IF NOT EXISTS meta_campaign_name TEXT,
    ADD COLUMN IF NOT EXISTS meta_adset_name    TEXT,
    ADD COLUMN IF NOT EXISTS meta_ad_name       TEXT;
CREATE INDEX IF NOT EXISTS idx_leads_tenant_meta_campaign ON leads (tenant_id, meta_campaign_id);
CREATE INDEX IF NOT EXISTS idx_leads_tenant_lead_source ON leads (tenant_id, lead_source);
