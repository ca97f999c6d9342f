-- The seed's seven Meta-ads tables, each scoped by tenant_id with
-- tenant-prefixed indexes. A CRM database may already hold them from the
-- seed's own migration, so each is created only where absent.

CREATE TABLE IF NOT EXISTS meta_ads_campaigns (
    id                       BIGSERIAL PRIMARY KEY,
    tenant_id                INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_campaign_id         TEXT NOT NULL,
    meta_account_id          TEXT NOT NULL,
    meta_business_manager_id TEXT,
    name                     TEXT NOT NULL,
    objective                TEXT,
    status                   TEXT,
    daily_budget             NUMERIC(14, 2),
    lifetime_budget          NUMERIC(14, 2),
    start_time               TIMESTAMPTZ,
    end_time                 TIMESTAMPTZ,
    targeting                JSONB NOT NULL DEFAULT '{}',
    spend                    NUMERIC(14, 2) NOT NULL DEFAULT 0,
    impressions              BIGINT NOT NULL DEFAULT 0,
    clicks                   BIGINT NOT NULL DEFAULT 0,
    leads                    BIGINT NOT NULL DEFAULT 0,
    opportunities            BIGINT NOT NULL DEFAULT 0,
    revenue                  NUMERIC(14, 2) NOT NULL DEFAULT 0,
    roi_percentage           NUMERIC(10, 2),
    last_synced_at           TIMESTAMPTZ,
    sync_status              TEXT NOT NULL DEFAULT 'pending',
    sync_error               TEXT,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT meta_ads_campaigns_tenant_campaign_key UNIQUE (tenant_id, meta_campaign_id)
);
CREATE INDEX IF NOT EXISTS idx_meta_ads_campaigns_tenant_account ON meta_ads_campaigns (tenant_id, meta_account_id);
CREATE INDEX IF NOT EXISTS idx_meta_ads_campaigns_tenant_status ON meta_ads_campaigns (tenant_id, status);

CREATE TABLE IF NOT EXISTS meta_ads_insights (
    id                   BIGSERIAL PRIMARY KEY,
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_campaign_id     TEXT NOT NULL,
    date                 DATE NOT NULL,
    attribution_window   TEXT NOT NULL DEFAULT '7d_click_1d_view',
    spend                NUMERIC(14, 2) NOT NULL DEFAULT 0,
    impressions          BIGINT NOT NULL DEFAULT 0,
    clicks               BIGINT NOT NULL DEFAULT 0,
    cpc                  NUMERIC(14, 4),
    cpm                  NUMERIC(14, 4),
    ctr                  NUMERIC(8, 4),
    leads                BIGINT NOT NULL DEFAULT 0,
    cost_per_lead        NUMERIC(14, 4),
    opportunities        BIGINT NOT NULL DEFAULT 0,
    cost_per_opportunity NUMERIC(14, 4),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT meta_ads_insights_tenant_campaign_day_key UNIQUE (tenant_id, meta_campaign_id, date, attribution_window)
);
CREATE INDEX IF NOT EXISTS idx_meta_ads_insights_tenant_date ON meta_ads_insights (tenant_id, date);

CREATE TABLE IF NOT EXISTS meta_templates (
    id               BIGSERIAL PRIMARY KEY,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meta_template_id TEXT NOT NULL,
    waba_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    category         TEXT,
    language         TEXT NOT NULL,
    status           TEXT,
    components       JSONB NOT NULL DEFAULT '[]',
    example          JSONB,
    sent_count       BIGINT NOT NULL DEFAULT 0,
    delivered_count  BIGINT NOT NULL DEFAULT 0,
    read_count       BIGINT NOT NULL DEFAULT 0,
    replied_count    BIGINT NOT NULL DEFAULT 0,
    last_synced_at   TIMESTAMPTZ,
    sync_status      TEXT NOT NULL DEFAULT 'pending',
    sync_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT meta_templates_tenant_template_key UNIQUE (tenant_id, meta_template_id)
);
CREATE INDEX IF NOT EXISTS idx_meta_templates_tenant_waba ON meta_templates (tenant_id, waba_id);

CREATE TABLE IF NOT EXISTS automation_rules (
    id                 BIGSERIAL PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT,
    trigger_type       TEXT NOT NULL,
    trigger_conditions JSONB NOT NULL DEFAULT '{}',
    actions            JSONB NOT NULL DEFAULT '[]',
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    priority           INTEGER NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_automation_rules_tenant_active ON automation_rules (tenant_id, is_active);

-- Columns that reference the CRM's leads and users take those tables' own id
-- types (the seed declared INTEGER against a UUID key and never ran).
DO $$
DECLARE
    lead_id_type TEXT := (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                          WHERE attrelid = 'leads'::regclass AND attname = 'id');
    user_id_type TEXT := (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                          WHERE attrelid = 'users'::regclass AND attname = 'id');
BEGIN
    EXECUTE format($sql$
        CREATE TABLE IF NOT EXISTS automation_logs (
            id            BIGSERIAL PRIMARY KEY,
            tenant_id     INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
            rule_id       BIGINT NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
            lead_id       %1$s REFERENCES leads (id) ON DELETE SET NULL,
            status        TEXT NOT NULL,
            trigger_data  JSONB NOT NULL DEFAULT '{}',
            result        JSONB,
            error_message TEXT,
            executed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
        )$sql$, lead_id_type);

    EXECUTE format($sql$
        CREATE TABLE IF NOT EXISTS opportunities (
            id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            tenant_id           INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
            lead_id             %1$s REFERENCES leads (id) ON DELETE SET NULL,
            seller_id           %2$s REFERENCES users (id) ON DELETE SET NULL,
            name                TEXT NOT NULL,
            value               NUMERIC(14, 2) NOT NULL DEFAULT 0,
            currency            CHAR(3) NOT NULL DEFAULT 'USD',
            stage               TEXT NOT NULL DEFAULT 'new',
            probability         INTEGER NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 100),
            expected_close_date DATE,
            closed_at           TIMESTAMPTZ,
            won_reason          TEXT,
            lost_reason         TEXT,
            tags                JSONB NOT NULL DEFAULT '[]',
            custom_fields       JSONB NOT NULL DEFAULT '{}',
            created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
        )$sql$, lead_id_type, user_id_type);

    EXECUTE format($sql$
        CREATE TABLE IF NOT EXISTS sales_transactions (
            id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
            opportunity_id     UUID REFERENCES opportunities (id) ON DELETE SET NULL,
            lead_id            %1$s REFERENCES leads (id) ON DELETE SET NULL,
            amount             NUMERIC(14, 2) NOT NULL,
            currency           CHAR(3) NOT NULL DEFAULT 'USD',
            transaction_date   DATE NOT NULL,
            payment_method     TEXT,
            payment_status     TEXT NOT NULL DEFAULT 'completed',
            payment_reference  TEXT,
            attribution_source TEXT,
            meta_campaign_id   TEXT,
            meta_ad_id         TEXT,
            created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
        )$sql$, lead_id_type);
END
$$;
CREATE INDEX IF NOT EXISTS idx_automation_logs_tenant_rule ON automation_logs (tenant_id, rule_id, executed_at);
CREATE INDEX IF NOT EXISTS idx_opportunities_tenant_stage ON opportunities (tenant_id, stage);
CREATE INDEX IF NOT EXISTS idx_opportunities_tenant_lead ON opportunities (tenant_id, lead_id);
CREATE INDEX IF NOT EXISTS idx_sales_transactions_tenant_date ON sales_transactions (tenant_id, transaction_date);
CREATE INDEX IF NOT EXISTS idx_sales_transactions_tenant_campaign ON sales_transactions (tenant_id, meta_campaign_id);
