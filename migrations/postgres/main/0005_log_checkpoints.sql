-- Signed checkpoints of the access log: the gateway's statement that the log had
-- `seq` entries ending in `head_hash` at `time`. Append-only like the log.
CREATE TABLE log_checkpoints (
    seq        BIGINT PRIMARY KEY NOT NULL,
    head_hash  BYTEA NOT NULL,
    time       BIGINT NOT NULL,
    key_id     TEXT NOT NULL,
    signature  BYTEA NOT NULL
);

CREATE TRIGGER log_checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
