-- Sharing with the GP: consents (shares), per-citizen flag thresholds, and which
-- sources fed each daily roll-up (so a summary names its sources without raw samples).
ALTER TABLE daily ADD COLUMN sources TEXT NOT NULL DEFAULT '';

CREATE TABLE shares (
    citizen_id    TEXT NOT NULL REFERENCES citizens(id),
    id            TEXT NOT NULL UNIQUE,
    clinic_id     TEXT NOT NULL REFERENCES clinics(id),
    -- one named clinician, or NULL for everyone at the clinic
    clinician_id  TEXT REFERENCES clinicians(id),
    -- comma-separated metric names
    metrics       TEXT NOT NULL,
    -- which data: from a fixed local date, or the last N days (rolling)
    data_from     TEXT,
    data_days     INTEGER,
    expires_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX shares_clinic ON shares (clinic_id, citizen_id);

CREATE TABLE flag_thresholds (
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    code        TEXT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    set_by      TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, code)
);
