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
    consent_granted_at      BIGINT,
    consent_expires_at      BIGINT,
    recording_acknowledged  SMALLINT NOT NULL,
    revoked_at              BIGINT,
    revoked_by              TEXT,
    requested_at            BIGINT NOT NULL,
    started_at              BIGINT,
    ended_at                BIGINT,
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
    title_sealed        BYTEA,
    description_sealed  BYTEA,
    size                BIGINT NOT NULL,
    sha256              BYTEA,
    frame_count         BIGINT NOT NULL,
    durable_bytes       BIGINT NOT NULL,
    initial_cols        BIGINT,
    initial_rows        BIGINT,
    started_at          BIGINT,
    ended_at            BIGINT,
    created_by          TEXT NOT NULL REFERENCES subjects(id),
    created_at          BIGINT NOT NULL,
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
    joined_at       BIGINT NOT NULL,
    left_at         BIGINT,
    PRIMARY KEY (recording_id, participant_id)
);
