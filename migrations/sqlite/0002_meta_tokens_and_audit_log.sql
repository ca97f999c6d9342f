-- Every change to a connection leaves a row here. Append-only: triggers
-- refuse updates and deletes.
CREATE TABLE meta_audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX idx_meta_audit_log_tenant_created ON meta_audit_log (tenant_id, created_at);
CREATE TRIGGER meta_audit_log_no_update BEFORE UPDATE ON meta_audit_log
BEGIN
    SELECT RAISE(ABORT, 'meta_audit_log is append-only');
END;
CREATE TRIGGER meta_audit_log_no_delete BEFORE DELETE ON meta_audit_log
BEGIN
    SELECT RAISE(ABORT, 'meta_audit_log is append-only');
END;

-- One active Meta connection per tenant; access_token holds AES-256-GCM
-- ciphertext, sealed under the key named by token_key_id.
CREATE TABLE meta_tokens (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id              INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    access_token           TEXT NOT NULL,
    token_key_id           TEXT NOT NULL,
    token_type             TEXT NOT NULL,
    expires_at             TEXT,
    data_access_expires_at TEXT,
    scopes                 TEXT NOT NULL DEFAULT '[]',
    business_managers      TEXT NOT NULL DEFAULT '[]',
    meta_user_id           TEXT NOT NULL,
    meta_user_name         TEXT,
    graph_api_version      TEXT NOT NULL,
    page_id                TEXT,
    business_manager_id    TEXT,
    ad_account_id          TEXT,
    last_checked_at        TEXT,
    last_check_status      TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    last_used_by           TEXT,
    CONSTRAINT meta_tokens_one_per_tenant UNIQUE (tenant_id)
);
CREATE INDEX idx_meta_tokens_meta_user_id ON meta_tokens (meta_user_id);
CREATE INDEX idx_meta_tokens_expires_at ON meta_tokens (expires_at);
