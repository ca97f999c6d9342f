-- The seed's seven Meta-ads tables, scoped by tenant_id with tenant-prefixed indexes.
CREATE TABLE IF NOT EXISTS meta_ads_campaigns (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id                INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_campaign_id         TEXT NOT NULL,
    meta_account_id          TEXT NOT NULL,
    meta_business_manager_id TEXT,
    name                     TEXT NOT NULL,
    objective                TEXT,
    status                   TEXT,
    daily_budget             NUMERIC,
    lifetime_budget          NUMERIC,
    start_time               TEXT,
    end_time                 TEXT,
    targeting                TEXT NOT NULL DEFAULT '{}',
    spend                    NUMERIC NOT NULL DEFAULT 0,
    impressions              INTEGER NOT NULL DEFAULT 0,
    clicks                   INTEGER NOT NULL DEFAULT 0,
    leads                    INTEGER NOT NULL DEFAULT 0,
    opportunities            INTEGER NOT NULL DEFAULT 0,
    revenue                  NUMERIC NOT NULL DEFAULT 0,
    roi_percentage           NUMERIC,
    last_synced_at           TEXT,
    sync_status              TEXT NOT NULL DEFAULT 'pending',
    sync_error               TEXT,
    created_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT meta_ads_campaigns_tenant_campaign_key UNIQUE (tenant_id, meta_campaign_id)
);
CREATE INDEX IF NOT EXISTS idx_meta_ads_campaigns_tenant_account ON meta_ads_campaigns (tenant_id, meta_account_id);
CREATE INDEX IF NOT EXISTS idx_meta_ads_campaigns_tenant_status ON meta_ads_campaigns (tenant_id, status);

CREATE TABLE IF NOT EXISTS meta_ads_insights (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_campaign_id     TEXT NOT NULL,
    date                 TEXT NOT NULL,
    attribution_window   TEXT NOT NULL DEFAULT '7d_click_1d_view',
    spend                NUMERIC NOT NULL DEFAULT 0,
    impressions          INTEGER NOT NULL DEFAULT 0,
    clicks               INTEGER NOT NULL DEFAULT 0,
    cpc                  NUMERIC,
    cpm                  NUMERIC,
    ctr                  NUMERIC,
    leads                INTEGER NOT NULL DEFAULT 0,
    cost_per_lead        NUMERIC,
    opportunities        INTEGER NOT NULL DEFAULT 0,
    cost_per_opportunity NUMERIC,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT meta_ads_insights_tenant_campaign_day_key UNIQUE (tenant_id, meta_campaign_id, date, attribution_window)
);
CREATE INDEX IF NOT EXISTS idx_meta_ads_insights_tenant_date ON meta_ads_insights (tenant_id, date);

CREATE TABLE IF NOT EXISTS meta_templates (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_template_id TEXT NOT NULL,
    waba_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    category         TEXT,
    language         TEXT NOT NULL,
    status           TEXT,
    components       TEXT NOT NULL DEFAULT '[]',
    example          TEXT,
    sent_count       INTEGER NOT NULL DEFAULT 0,
    delivered_count  INTEGER NOT NULL DEFAULT 0,
    read_count       INTEGER NOT NULL DEFAULT 0,
    replied_count    INTEGER NOT NULL DEFAULT 0,
    last_synced_at   TEXT,
    sync_status      TEXT NOT NULL DEFAULT 'pending',
    sync_error       TEXT,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT meta_templates_tenant_template_key UNIQUE (tenant_id, meta_template_id)
);
CREATE INDEX IF NOT EXISTS idx_meta_templates_tenant_waba ON meta_templates (tenant_id, waba_id);

CREATE TABLE IF NOT EXISTS automation_rules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT,
    trigger_type       TEXT NOT NULL,
    trigger_conditions TEXT NOT NULL DEFAULT '{}',
    actions            TEXT NOT NULL DEFAULT '[]',
    is_active          INTEGER NOT NULL DEFAULT 1,
    priority           INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_automation_rules_tenant_active ON automation_rules (tenant_id, is_active);

CREATE TABLE IF NOT EXISTS automation_logs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_id       INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
    lead_id       TEXT REFERENCES leads (id) ON DELETE SET NULL,
    status        TEXT NOT NULL,
    trigger_data  TEXT NOT NULL DEFAULT '{}',
    result        TEXT,
    error_message TEXT,
    executed_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_automation_logs_tenant_rule ON automation_logs (tenant_id, rule_id, executed_at);

CREATE TABLE IF NOT EXISTS opportunities (
    id                  TEXT PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    lead_id             TEXT REFERENCES leads (id) ON DELETE SET NULL,
    seller_id           TEXT REFERENCES users (id) ON DELETE SET NULL,
    name                TEXT NOT NULL,
    value               NUMERIC NOT NULL DEFAULT 0,
    currency            TEXT NOT NULL DEFAULT 'USD',
    stage               TEXT NOT NULL DEFAULT 'new',
    probability         INTEGER NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 100),
    expected_close_date TEXT,
    closed_at           TEXT,
    won_reason          TEXT,
    lost_reason         TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',
    custom_fields       TEXT NOT NULL DEFAULT '{}',
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_opportunities_tenant_stage ON opportunities (tenant_id, stage);
CREATE INDEX IF NOT EXISTS idx_opportunities_tenant_lead ON opportunities (tenant_id, lead_id);

CREATE TABLE IF NOT EXISTS sales_transactions (
    id                 TEXT PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    opportunity_id     TEXT REFERENCES opportunities (id) ON DELETE SET NULL,
    lead_id            TEXT REFERENCES leads (id) ON DELETE SET NULL,
    amount             NUMERIC NOT NULL,
    currency           TEXT NOT NULL DEFAULT 'USD',
    transaction_date   TEXT NOT NULL,
    payment_method     TEXT,
    payment_status     TEXT NOT NULL DEFAULT 'completed',
    payment_reference  TEXT,
    attribution_source TEXT,
    meta_campaign_id   TEXT,
    meta_ad_id         TEXT,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS idx_sales_transactions_tenant_date ON sales_transactions (tenant_id, transaction_date);
CREATE INDEX IF NOT EXISTS idx_sales_transactions_tenant_campaign ON sales_transactions (tenant_id, meta_campaign_id);
