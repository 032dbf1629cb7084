-- Contact data lives in its own database file: fields sealed one by one under the tenant's
-- contact key; e-mail lookups go through a keyed hash, never plaintext.
CREATE TABLE contact_keys (
    tenant_id   TEXT NOT NULL,
    class       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    master_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, class, version)
);

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY NOT NULL,
    tenant_id         TEXT NOT NULL,
    email_hash        BLOB NOT NULL,
    name_sealed       BLOB NOT NULL,
    email_sealed      BLOB NOT NULL,
    phone_sealed      BLOB NOT NULL,
    company_sealed    BLOB NOT NULL,
    job_title_sealed  BLOB NOT NULL,
    opted_out         INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_by_email ON contacts (tenant_id, email_hash);
