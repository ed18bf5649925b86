-- Import jobs: an uploaded file waiting, running, done (with its §3 report) or failed.
CREATE TABLE imports (
    citizen_id    TEXT NOT NULL REFERENCES citizens(id),
    id            TEXT NOT NULL UNIQUE,
    format        TEXT NOT NULL,
    status        TEXT NOT NULL,
    blob          TEXT NOT NULL,
    report        TEXT,
    error_kind    TEXT,
    error_detail  TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX imports_status ON imports (status);
