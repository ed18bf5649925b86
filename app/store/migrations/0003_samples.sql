-- Wearable data: the citizen's sources, normalised samples and daily roll-ups.

CREATE TABLE sources (
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    source_no   INTEGER NOT NULL,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    device      TEXT,
    -- the citizen's own order (0 first); NULL means the default order by kind
    priority    INTEGER,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, source_no)
);
CREATE UNIQUE INDEX sources_key ON sources (citizen_id, key);

CREATE TABLE daily (
    citizen_id  TEXT NOT NULL,
    metric      TEXT NOT NULL,
    day         TEXT NOT NULL,
    total       DOUBLE PRECISION,
    count       INTEGER NOT NULL,
    min_value   DOUBLE PRECISION,
    max_value   DOUBLE PRECISION,
    mean        DOUBLE PRECISION,
    PRIMARY KEY (citizen_id, metric, day)
);
