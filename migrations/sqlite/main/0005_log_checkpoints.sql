-- Signed checkpoints of the access log: the gateway's statement that the log had
-- `seq` entries ending in `head_hash` at `time`. Append-only like the log.
CREATE TABLE log_checkpoints (
    seq        INTEGER PRIMARY KEY NOT NULL,
    head_hash  BLOB NOT NULL,
    time       INTEGER NOT NULL,
    key_id     TEXT NOT NULL,
    signature  BLOB NOT NULL
);

CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'log_checkpoints is append-only');
END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'log_checkpoints is append-only');
END;
