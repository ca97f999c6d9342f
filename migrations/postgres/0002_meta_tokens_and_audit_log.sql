-- Every change to a connection leaves a row here. Append-only: a trigger
-- refuses updates and deletes. No foreign key, so the history outlives a
-- deleted tenant.
CREATE TABLE meta_audit_log (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    detail     JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_meta_audit_log_tenant_created ON meta_audit_log (tenant_id, created_at);

CREATE FUNCTION meta_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meta_audit_log is append-only';
END
$$;
CREATE TRIGGER meta_audit_log_append_only
    BEFORE UPDATE OR DELETE ON meta_audit_log
    FOR EACH ROW EXECUTE FUNCTION meta_audit_log_append_only();

-- One active Meta connection per tenant. The seed's column names are kept so
-- the CRM backend finds them; access_token holds AES-256-GCM ciphertext
-- (never the token), sealed under the key named by token_key_id.
CREATE TABLE meta_tokens (
    id                     BIGSERIAL PRIMARY KEY,
    tenant_id              INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL,
    token_key_id           TEXT NOT NULL,
    token_type             VARCHAR(50) NOT NULL,
    expires_at             TIMESTAMPTZ,
    data_access_expires_at TIMESTAMPTZ,
    scopes                 JSONB NOT NULL DEFAULT '[]',
    business_managers      JSONB NOT NULL DEFAULT '[]',
    meta_user_id           TEXT NOT NULL,
    meta_user_name         TEXT,
    graph_api_version      TEXT NOT NULL,
    page_id                TEXT,
    business_manager_id    TEXT,
    ad_account_id          TEXT,
    last_checked_at        TIMESTAMPTZ,
    last_check_status      TEXT,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The operating-system user who last changed the connection.
    last_used_by           TEXT,
    CONSTRAINT meta_tokens_one_per_tenant UNIQUE (tenant_id)
);
-- Finds the other tenants connected with the same Meta user.
CREATE INDEX idx_meta_tokens_meta_user_id ON meta_tokens (meta_user_id);
CREATE INDEX idx_meta_tokens_expires_at ON meta_tokens (expires_at);
