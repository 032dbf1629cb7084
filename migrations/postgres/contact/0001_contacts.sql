-- Contact data lives in its own schema, owned by its own role: fields sealed one by one under the tenant's
-- contact key; e-mail lookups go through a keyed hash, never plaintext.
CREATE TABLE contact_keys (
    tenant_id   TEXT NOT NULL,
    class       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    master_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, class, version)
);

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY NOT NULL,
    tenant_id         TEXT NOT NULL,
    email_hash        BYTEA NOT NULL,
    name_sealed       BYTEA NOT NULL,
    email_sealed      BYTEA NOT NULL,
    phone_sealed      BYTEA NOT NULL,
    company_sealed    BYTEA NOT NULL,
    job_title_sealed  BYTEA NOT NULL,
    opted_out         BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_by_email ON contacts (tenant_id, email_hash);
