-- Medications per citizen and the renewal requests the clinic works through.
CREATE TABLE medications (
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    strength         TEXT NOT NULL,
    dosage           TEXT NOT NULL,
    atc              TEXT,
    renewable        INTEGER NOT NULL,
    last_renewed_at  BIGINT,
    active           INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (citizen_id, id)
);

CREATE TABLE renewals (
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    medication_id    TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    requested_at     BIGINT NOT NULL,
    in_review_at     BIGINT,
    decided_at       BIGINT,
    decided_by       TEXT,
    decided_by_name  TEXT,
    reason           TEXT,
    PRIMARY KEY (citizen_id, id)
);
-- At most one open request per medication: the second one is a 409, even under a race.
CREATE UNIQUE INDEX renewals_one_open ON renewals (citizen_id, medication_id)
    WHERE status IN ('requested', 'in_review');
CREATE INDEX renewals_queue ON renewals (clinic_id, status, requested_at);
