-- One row per normalised sample; the primary key is the same-sample rule of §4
-- (metric, source, start, end, value, stage), so a re-import inserts nothing.
CREATE TABLE samples (
    citizen_id   TEXT NOT NULL,
    metric       TEXT NOT NULL,
    start_ms     BIGINT NOT NULL,
    source_no    INTEGER NOT NULL,
    end_ms       BIGINT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    stage        TEXT NOT NULL DEFAULT '',
    external_id  TEXT,
    PRIMARY KEY (citizen_id, metric, start_ms, source_no, end_ms, value, stage)
) WITHOUT ROWID;
CREATE UNIQUE INDEX samples_external ON samples (citizen_id, external_id)
    WHERE external_id IS NOT NULL;
