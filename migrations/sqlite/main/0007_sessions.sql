-- Remote-access sessions and their recordings (and imported recordings). Metadata only:
-- recording content lives in the blob store, sealed under a data key in object_keys;
-- the titles and descriptions of imports are customer data, sealed.
CREATE TABLE sessions (
    id                      TEXT PRIMARY KEY NOT NULL,
    tenant_id               TEXT NOT NULL REFERENCES tenants(id),
    case_id                 TEXT NOT NULL REFERENCES cases(id),
    requested_by            TEXT NOT NULL REFERENCES subjects(id),
    requested_scopes        TEXT NOT NULL,
    state                   TEXT NOT NULL,
    consent_scopes          TEXT,
    consent_granted_by      TEXT,
    consent_granted_at      INTEGER,
    consent_expires_at      INTEGER,
    recording_acknowledged  SMALLINT NOT NULL,
    revoked_at              INTEGER,
    revoked_by              TEXT,
    requested_at            INTEGER NOT NULL,
    started_at              INTEGER,
    ended_at                INTEGER,
    end_reason              TEXT,
    recording_id            TEXT
);
CREATE INDEX sessions_by_case ON sessions (tenant_id, case_id, requested_at);
-- The relay's watch: what ended, closed or was revoked since its last look.
CREATE INDEX sessions_by_end ON sessions (ended_at);
CREATE INDEX cases_by_closing ON cases (closed_at);
CREATE INDEX credentials_by_revocation ON credentials (revoked_at);

CREATE TABLE recordings (
    id                  TEXT PRIMARY KEY NOT NULL,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    case_id             TEXT NOT NULL REFERENCES cases(id),
    session_id          TEXT,
    kind                TEXT NOT NULL,
    source              TEXT NOT NULL,
    state               TEXT NOT NULL,
    media_type          TEXT NOT NULL,
    title_sealed        BLOB,
    description_sealed  BLOB,
    size                INTEGER NOT NULL,
    sha256              BLOB,
    frame_count         INTEGER NOT NULL,
    durable_bytes       INTEGER NOT NULL,
    initial_cols        INTEGER,
    initial_rows        INTEGER,
    started_at          INTEGER,
    ended_at            INTEGER,
    created_by          TEXT NOT NULL REFERENCES subjects(id),
    created_at          INTEGER NOT NULL,
    external_id         TEXT
);
-- A repeated import of the same external recording is refused, not stored twice.
CREATE UNIQUE INDEX recordings_by_external_id ON recordings (tenant_id, external_id);
CREATE INDEX recordings_by_case ON recordings (tenant_id, case_id, created_at);

CREATE TABLE recording_participants (
    recording_id    TEXT NOT NULL REFERENCES recordings(id),
    participant_id  TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    role            TEXT NOT NULL,
    joined_at       INTEGER NOT NULL,
    left_at         INTEGER,
    PRIMARY KEY (recording_id, participant_id)
);
