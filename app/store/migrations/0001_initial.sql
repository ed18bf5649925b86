-- People and places, sessions, the audit log and clinic slots.
-- Portable SQL: instants are BIGINT UTC epoch milliseconds, flags are INTEGER 0/1,
-- ids are text UUIDs. Rows that belong to a person lead with citizen_id.

CREATE TABLE clinics (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'Europe/Copenhagen',
    created_at  BIGINT NOT NULL
);

CREATE TABLE clinicians (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL UNIQUE,
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT 'gp',
    created_at  BIGINT NOT NULL
);
CREATE INDEX clinicians_clinic ON clinicians (clinic_id);

CREATE TABLE citizens (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL DEFAULT '',
    cpr_hash    TEXT UNIQUE,
    cpr_sealed  TEXT,
    timezone    TEXT NOT NULL DEFAULT 'Europe/Copenhagen',
    language    TEXT NOT NULL DEFAULT 'da',
    clinic_id   TEXT REFERENCES clinics(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX citizens_clinic ON citizens (clinic_id);

CREATE TABLE gateways (
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    PRIMARY KEY (citizen_id, id)
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL,
    role        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE audit_log (
    citizen_id    TEXT NOT NULL REFERENCES citizens(id),
    seq           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    actor_role    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_name    TEXT NOT NULL DEFAULT '',
    clinic_id     TEXT,
    on_behalf_of  TEXT,
    action        TEXT NOT NULL,
    resource      TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (citizen_id, seq)
);

CREATE TABLE slots (
    clinic_id   TEXT NOT NULL REFERENCES clinics(id),
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'free',
    PRIMARY KEY (clinic_id, id)
);
CREATE UNIQUE INDEX slots_clinic_time ON slots (clinic_id, starts_at, kind);
