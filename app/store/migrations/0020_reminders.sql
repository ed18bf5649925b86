-- Medicine at the right time (issue 16, ADR 0020): dosing schedules and the reminders
-- the worker writes from them, doses taken or skipped, supplies, vaccinations.

-- One schedule per medication. `done_until`: every planned instant up to it is handled;
-- `next_at`: the next one, which the worker finds by the partial index (never a scan).
-- The worker moves `done_until` with a conditional UPDATE in the transaction that writes
-- the notice, so a reminder is written once whatever the number of workers.
CREATE TABLE dose_schedules (
    citizen_id     TEXT NOT NULL REFERENCES citizens(id),
    medication_id  TEXT NOT NULL,
    times          TEXT NOT NULL,
    weekdays       TEXT,
    starts         TEXT,
    ends           TEXT,
    dose           TEXT NOT NULL DEFAULT '',
    since          BIGINT NOT NULL,
    done_until     BIGINT NOT NULL,
    next_at        BIGINT,
    PRIMARY KEY (citizen_id, medication_id)
);
CREATE INDEX dose_schedules_due ON dose_schedules (next_at, citizen_id, medication_id)
    WHERE next_at IS NOT NULL;

-- What the worker did with each planned reminder: sent, late (listed, not pushed) or
-- snoozed (sent again at snooze_until).
CREATE TABLE reminders (
    citizen_id    TEXT NOT NULL REFERENCES citizens(id),
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    ref           TEXT NOT NULL,
    planned_at    BIGINT NOT NULL,
    status        TEXT NOT NULL,
    sent_at       BIGINT,
    snooze_until  BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX reminders_planned ON reminders (citizen_id, planned_at);
CREATE INDEX reminders_snoozed ON reminders (snooze_until) WHERE snooze_until IS NOT NULL;

-- Doses: once per (medication, planned time); by hand (no planned time) once per time.
CREATE TABLE doses (
    citizen_id     TEXT NOT NULL REFERENCES citizens(id),
    id             TEXT NOT NULL,
    medication_id  TEXT NOT NULL,
    planned_at     BIGINT,
    slot_at        BIGINT NOT NULL,
    status         TEXT NOT NULL,
    taken_at       BIGINT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    recorded_by    TEXT NOT NULL,
    PRIMARY KEY (citizen_id, id)
);
CREATE UNIQUE INDEX doses_once ON doses (citizen_id, medication_id, slot_at);

-- Pack size and use per day: the day a medication runs out, and when to say so.
CREATE TABLE medication_supplies (
    citizen_id     TEXT NOT NULL REFERENCES citizens(id),
    medication_id  TEXT NOT NULL,
    pack_size      DOUBLE PRECISION NOT NULL,
    per_day        DOUBLE PRECISION NOT NULL,
    started_on     TEXT NOT NULL,
    source         TEXT NOT NULL,
    runs_out_on    TEXT NOT NULL,
    notify_at      BIGINT,
    PRIMARY KEY (citizen_id, medication_id)
);
CREATE INDEX medication_supplies_due ON medication_supplies (notify_at)
    WHERE notify_at IS NOT NULL;

CREATE TABLE vaccinations (
    citizen_id   TEXT NOT NULL REFERENCES citizens(id),
    id           TEXT NOT NULL,
    atc          TEXT NOT NULL,
    name         TEXT NOT NULL,
    dose_number  INTEGER NOT NULL,
    given_on     TEXT,
    due_on       TEXT,
    remind_at    BIGINT,
    reminded_at  BIGINT,
    source       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX vaccinations_due ON vaccinations (remind_at)
    WHERE remind_at IS NOT NULL AND reminded_at IS NULL;

-- A clinic's seasonal rules (influenza every autumn for 65+); applied once a season.
CREATE TABLE vaccination_rules (
    clinic_id     TEXT NOT NULL REFERENCES clinics(id),
    rule_key      TEXT NOT NULL,
    atc           TEXT NOT NULL,
    name          TEXT NOT NULL,
    min_age       INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    applied_year  INTEGER NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL,
    PRIMARY KEY (clinic_id, rule_key)
);
