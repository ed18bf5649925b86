-- Booking: clinic rules, weekly opening hours, closures, appointments, the waitlist.
-- A slot is free, booked, blocked (closure or cancelled by the clinic) or held for one
-- citizen while a waitlist offer runs.

ALTER TABLE clinics ADD COLUMN cancel_cutoff_minutes INTEGER NOT NULL DEFAULT 120;
ALTER TABLE clinics ADD COLUMN waitlist_hold_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE clinics ADD COLUMN photos_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clinics ADD COLUMN answer_working_days INTEGER NOT NULL DEFAULT 3;

ALTER TABLE slots ADD COLUMN held_for TEXT;
ALTER TABLE slots ADD COLUMN held_until BIGINT;
CREATE INDEX slots_free ON slots (clinic_id, status, starts_at);

CREATE TABLE opening_hours (
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    position    INTEGER NOT NULL,
    weekday     INTEGER NOT NULL,
    opens       TEXT NOT NULL,
    closes      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    minutes     INTEGER NOT NULL,
    PRIMARY KEY (clinic_id, position)
);

CREATE TABLE closures (
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    id          TEXT NOT NULL UNIQUE,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);

CREATE TABLE appointments (
    citizen_id      TEXT NOT NULL REFERENCES citizens(id),
    id              TEXT NOT NULL UNIQUE,
    clinic_id       TEXT NOT NULL REFERENCES clinics(id),
    slot_id         TEXT NOT NULL REFERENCES slots(id),
    kind            TEXT NOT NULL,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    cancelled_at    BIGINT,
    clinic_message  TEXT,
    replaces        TEXT,
    PRIMARY KEY (citizen_id, id)
);
-- The last line of defence against double booking: one live appointment per slot.
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (slot_id) WHERE status = 'booked';
CREATE INDEX appointments_clinic_day ON appointments (clinic_id, starts_at);

CREATE TABLE waitlist (
    citizen_id        TEXT NOT NULL REFERENCES citizens(id),
    id                TEXT NOT NULL UNIQUE,
    clinic_id         TEXT NOT NULL REFERENCES clinics(id),
    kind              TEXT NOT NULL,
    before_at         BIGINT NOT NULL,
    appointment_id    TEXT,
    status            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    offered_slot_id   TEXT,
    offer_expires_at  BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX waitlist_queue ON waitlist (clinic_id, kind, status, created_at);

-- Who turned down (or let lapse) an offer of which slot: it is not offered to them again.
CREATE TABLE waitlist_passes (
    slot_id     TEXT NOT NULL,
    citizen_id  TEXT NOT NULL,
    PRIMARY KEY (slot_id, citizen_id)
);
