-- Attribution of leads to Meta ads: the seed's six columns and its follow-ups.
ALTER TABLE leads ADD COLUMN lead_source TEXT NOT NULL DEFAULT 'ORGANIC';
ALTER TABLE leads ADD COLUMN meta_campaign_id TEXT;
ALTER TABLE leads ADD COLUMN meta_ad_id TEXT;
ALTER TABLE leads ADD COLUMN meta_ad_headline TEXT;
ALTER TABLE leads ADD COLUMN meta_ad_body TEXT;
ALTER TABLE leads ADD COLUMN external_ids TEXT NOT NULL DEFAULT '{}';
ALTER TABLE leads ADD COLUMN meta_adset_id TEXT;
ALTER TABLE leads ADD COLUMN meta_campaign_name TEXT;
ALTER TABLE leads ADD COLUMN meta_adset_name TEXT;
ALTER TABLE leads ADD COLUMN meta_ad_name TEXT;
CREATE INDEX idx_leads_tenant_meta_campaign ON leads (tenant_id, meta_campaign_id);
CREATE INDEX idx_leads_tenant_lead_source ON leads (tenant_id, lead_source);
