-- Tenants, subjects and their bearer credentials. Times are microseconds since the Unix epoch.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE subjects (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT REFERENCES tenants(id),
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX subjects_name_per_tenant ON subjects (COALESCE(tenant_id, ''), name);

CREATE TABLE credentials (
    id          TEXT PRIMARY KEY NOT NULL,
    subject_id  TEXT NOT NULL REFERENCES subjects(id),
    token_hash  BLOB NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX credentials_by_subject ON credentials (subject_id);
