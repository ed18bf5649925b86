-- Health Connect records (ADR 0018): which version of a record we hold, and the
-- samples it produced, so a later version can swap them and a deletion remove them.

-- One row per record id the app has sent us. `deleted` rows are tombstones: a deleted
-- record stays deleted when an older batch that still holds it is sent again.
CREATE TABLE healthconnect_records (
    citizen_id   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    -- metadata.lastModifiedTime of the version we hold, UTC epoch ms
    modified_ms  BIGINT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (citizen_id, record_id)
);

-- The sample keys (§4's same-sample key) a record produced. Two records may produce the
-- same sample, which is stored once: it goes when the last record holding it goes.
CREATE TABLE healthconnect_samples (
    citizen_id   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    metric       TEXT NOT NULL,
    start_ms     BIGINT NOT NULL,
    source_no    INTEGER NOT NULL,
    end_ms       BIGINT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    stage        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (citizen_id, record_id, metric, start_ms, source_no, end_ms, value, stage)
);
CREATE INDEX healthconnect_samples_key
    ON healthconnect_samples (citizen_id, metric, start_ms, source_no);
