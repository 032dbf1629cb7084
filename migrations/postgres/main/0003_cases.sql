-- Cases refer to their contact only through an opaque id; the summary is sealed customer data.
CREATE TABLE cases (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    state           TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    opened_by       TEXT NOT NULL REFERENCES subjects(id),
    opened_at       BIGINT NOT NULL,
    closed_at       BIGINT,
    summary_sealed  BYTEA NOT NULL
);
CREATE INDEX cases_by_tenant ON cases (tenant_id, opened_at);

CREATE TABLE case_engineers (
    case_id      TEXT NOT NULL REFERENCES cases(id),
    engineer_id  TEXT NOT NULL REFERENCES subjects(id),
    assigned_at  BIGINT NOT NULL,
    PRIMARY KEY (case_id, engineer_id)
);
