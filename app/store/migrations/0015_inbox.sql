-- The clinic's triage inbox and PRO questionnaires (ADR 0013, ADR 0014).

-- The number a citizen is told to call when an answer is red.
ALTER TABLE clinics ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- When the worker last evaluated a share's flags (so data that stop arriving still
-- raise "missing data", and old data age out of the window).
ALTER TABLE shares ADD COLUMN flags_checked_at BIGINT;

-- Questionnaire definitions: every PUT is a new version; a response keeps its version.
CREATE TABLE questionnaires (
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    qkey        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    title_da    TEXT NOT NULL,
    title_en    TEXT NOT NULL,
    -- the definition as loaded: FHIR Questionnaire, triage rules, green answers (JSON)
    body        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, qkey, version)
);

-- A questionnaire assigned to a citizen: once, or every N days after a submission.
CREATE TABLE questionnaire_assignments (
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    id          TEXT NOT NULL UNIQUE,
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    qkey        TEXT NOT NULL,
    every_days  INTEGER,
    -- the next instance: its local due date and the instant it opens; NULL while one is
    -- open or when none is planned
    next_due    TEXT,
    opens_at    BIGINT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX questionnaire_assignments_due ON questionnaire_assignments (opens_at)
    WHERE opens_at IS NOT NULL;

-- One instance to answer, and its one response.
CREATE TABLE questionnaire_instances (
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    assignment_id    TEXT NOT NULL,
    clinic_id        TEXT NOT NULL REFERENCES clinics(id),
    qkey             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    due              TEXT NOT NULL,
    status           TEXT NOT NULL,
    opened_at        BIGINT NOT NULL,
    submitted_at     BIGINT,
    submitted_by     TEXT,
    triage           TEXT,
    score            DOUBLE PRECISION,
    -- the FHIR QuestionnaireResponse as stored, and why it was triaged so (JSON)
    response         TEXT,
    reasons          TEXT,
    idempotency_key  TEXT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX questionnaire_instances_assignment
    ON questionnaire_instances (assignment_id, status);

-- The inbox: measurement flags (per share and condition) and yellow/red answers.
CREATE TABLE inbox_items (
    citizen_id        TEXT NOT NULL REFERENCES citizens(id),
    id                TEXT NOT NULL UNIQUE,
    clinic_id         TEXT NOT NULL REFERENCES clinics(id),
    kind              TEXT NOT NULL,
    -- a measurement item: the share it was found under; NULL for a questionnaire item
    share_id          TEXT,
    -- what makes two findings the same: the rule family and its metrics, or the instance
    condition         TEXT NOT NULL,
    code              TEXT NOT NULL,
    severity          TEXT NOT NULL,
    rank              INTEGER NOT NULL,
    title_da          TEXT NOT NULL,
    title_en          TEXT NOT NULL,
    detail_da         TEXT NOT NULL,
    detail_en         TEXT NOT NULL,
    value             DOUBLE PRECISION,
    threshold         DOUBLE PRECISION,
    period_from       TEXT,
    period_to         TEXT,
    link              TEXT NOT NULL,
    status            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    resolved_at       BIGINT,
    resolved_by       TEXT,
    resolved_by_name  TEXT,
    note              TEXT,
    action            TEXT,
    cleared_at        BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX inbox_items_queue ON inbox_items (clinic_id, status, rank, created_at, id);
-- one live item per condition: the same finding never opens a second one
CREATE UNIQUE INDEX inbox_items_live ON inbox_items (citizen_id, share_id, condition)
    WHERE cleared_at IS NULL AND share_id IS NOT NULL;
CREATE UNIQUE INDEX inbox_items_instance ON inbox_items (citizen_id, condition)
    WHERE share_id IS NULL;
