-- Per-tenant key-encryption keys for customer data, wrapped by the master key.
CREATE TABLE tenant_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    class       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    master_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, class, version)
);
