-- The access log: hash-chained and append-only; a trigger refuses every update and delete.
CREATE TABLE access_log (
    seq          BIGINT PRIMARY KEY NOT NULL,
    time         BIGINT NOT NULL,
    subject_id   TEXT,
    role         TEXT,
    tenant_id    TEXT,
    action       TEXT NOT NULL,
    data_class   TEXT NOT NULL,
    resource_id  TEXT,
    case_id      TEXT,
    purpose      TEXT,
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    -- The hash chain (supportgate-audit): `format` names the canonical encoding the
    -- entry was hashed in; `hash` = SHA-256 over `prev_hash` and that encoding.
    format       SMALLINT NOT NULL,
    prev_hash    BYTEA NOT NULL,
    hash         BYTEA NOT NULL
);
CREATE INDEX access_log_by_tenant ON access_log (tenant_id, seq);
CREATE INDEX access_log_by_case ON access_log (case_id, seq);
CREATE INDEX access_log_by_time ON access_log (time);

CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$;
CREATE TRIGGER access_log_no_update_or_delete BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
