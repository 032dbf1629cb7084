-- Diagnostic transfers: workspaces on cases, uploads (which become files once their
-- size and SHA-256 are verified), and the wrapped data key of every stored object.
CREATE TABLE workspaces (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    case_id      TEXT NOT NULL REFERENCES cases(id),
    opened_by    TEXT NOT NULL REFERENCES subjects(id),
    opened_at    BIGINT NOT NULL,
    quota_bytes  BIGINT NOT NULL
);
CREATE INDEX workspaces_by_case ON workspaces (tenant_id, case_id);

-- `name_sealed` and `media_type_sealed` are customer data, sealed under the tenant's
-- customer-data key; everything else is metadata. The content lives in the blob store,
-- sealed under the object's data key.
CREATE TABLE uploads (
    id                 TEXT PRIMARY KEY NOT NULL,
    file_id            TEXT NOT NULL UNIQUE,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    case_id            TEXT NOT NULL REFERENCES cases(id),
    uploader           TEXT NOT NULL REFERENCES subjects(id),
    name_sealed        BYTEA NOT NULL,
    media_type_sealed  BYTEA NOT NULL,
    size               BIGINT NOT NULL,
    sha256             BYTEA NOT NULL,
    state              TEXT NOT NULL,
    committed_offset   BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    completed_at       BIGINT,
    failure_reason     TEXT
);
CREATE INDEX uploads_by_workspace ON uploads (workspace_id, state);
CREATE INDEX uploads_by_tenant ON uploads (tenant_id, state);

-- One row per stored object: its data key, wrapped under the tenant's key of
-- `key_version`. Deleting the row destroys the key (crypto-shredding).
CREATE TABLE object_keys (
    object_id    TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    key_version  INTEGER NOT NULL,
    wrapped      BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX object_keys_by_tenant ON object_keys (tenant_id, key_version);
