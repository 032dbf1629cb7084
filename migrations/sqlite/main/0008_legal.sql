-- Law-enforcement requests, notifications and their outbox, legal holds, tenant settings
-- (designated legal contact, retention), contact deletion requests, and the purge mark on
-- cases. All metadata: nothing here is customer or contact data.
CREATE TABLE tenant_settings (
    tenant_id                  TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id),
    legal_contact_name         TEXT,
    legal_contact_email        TEXT,
    legal_contact_phone        TEXT,
    legal_contact_address      TEXT,
    legal_contact_organisation TEXT,
    retention_seconds          INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);

-- One row per request; the compulsion, the non-disclosure obligation and the customer
-- notice are columns because a request has at most one of each in force.
CREATE TABLE legal_requests (
    id                     TEXT PRIMARY KEY NOT NULL,
    reference              TEXT NOT NULL UNIQUE,
    tenant_id              TEXT REFERENCES tenants(id),
    agency                 TEXT NOT NULL,
    agency_reference       TEXT NOT NULL,
    description            TEXT NOT NULL,
    legal_basis            TEXT NOT NULL,
    submitted_by           TEXT NOT NULL REFERENCES subjects(id),
    submitted_at           INTEGER NOT NULL,
    state                  TEXT NOT NULL,
    compulsion_id          TEXT,
    order_reference        TEXT,
    issuing_authority      TEXT,
    order_basis            TEXT,
    order_date             INTEGER,
    scope_json             TEXT,
    recipient_key          TEXT,
    compelled_by           TEXT,
    compelled_at           INTEGER,
    approved_by            TEXT,
    approved_at            INTEGER,
    nd_reference           TEXT,
    nd_expires_at          INTEGER,
    nd_recorded_by         TEXT,
    nd_recorded_at         INTEGER,
    notice_id              TEXT,
    noticed_at             INTEGER,
    production_not_before  INTEGER,
    notice_recorded_by     TEXT,
    produced_at            INTEGER
);
CREATE INDEX legal_requests_by_tenant ON legal_requests (tenant_id, submitted_at);
CREATE INDEX legal_requests_by_submitter ON legal_requests (submitted_by, submitted_at);

CREATE TABLE legal_notifications (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    kind             TEXT NOT NULL,
    request_id       TEXT NOT NULL REFERENCES legal_requests(id),
    message          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT
);
CREATE INDEX legal_notifications_by_tenant ON legal_notifications (tenant_id, created_at);

-- What a mail or webhook sender still has to deliver; a row leaves when acknowledged.
CREATE TABLE legal_outbox (
    id               TEXT PRIMARY KEY NOT NULL,
    notification_id  TEXT NOT NULL REFERENCES legal_notifications(id),
    enqueued_at      INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX legal_outbox_pending ON legal_outbox (delivered_at, enqueued_at);

CREATE TABLE legal_holds (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    case_id       TEXT REFERENCES cases(id),
    reason        TEXT NOT NULL,
    request_id    TEXT,
    set_by        TEXT NOT NULL REFERENCES subjects(id),
    set_at        INTEGER NOT NULL,
    cleared_by    TEXT,
    cleared_at    INTEGER,
    clear_reason  TEXT
);
CREATE INDEX legal_holds_by_tenant ON legal_holds (tenant_id, cleared_at);

-- A customer's request to delete a contact: carried out at once, or once no legal hold
-- covers it.
CREATE TABLE contact_deletions (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    contact_id    TEXT NOT NULL,
    case_id       TEXT NOT NULL REFERENCES cases(id),
    requested_by  TEXT NOT NULL REFERENCES subjects(id),
    requested_at  INTEGER NOT NULL,
    state         TEXT NOT NULL,
    deleted_at    INTEGER
);
CREATE UNIQUE INDEX contact_deletions_by_contact ON contact_deletions (tenant_id, contact_id);

ALTER TABLE cases ADD COLUMN purged_at INTEGER;
