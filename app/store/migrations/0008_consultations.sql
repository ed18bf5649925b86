-- E-consultations: threads between a citizen and their clinic, their messages, and
-- photo metadata (the bytes live in the blob store, addressed by blob_key).
CREATE TABLE consultations (
    citizen_id          TEXT NOT NULL REFERENCES citizens(id),
    id                  TEXT NOT NULL UNIQUE,
    clinic_id           TEXT NOT NULL REFERENCES clinics(id),
    category            TEXT NOT NULL,
    subject             TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    answer_expected_by  BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX consultations_triage ON consultations (clinic_id, status, updated_at);

CREATE TABLE consultation_messages (
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    consultation_id  TEXT NOT NULL,
    author_role      TEXT NOT NULL,
    author_id        TEXT NOT NULL,
    author_name      TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX consultation_messages_thread ON consultation_messages (citizen_id, consultation_id, created_at);

CREATE TABLE consultation_photos (
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    consultation_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    blob_key         TEXT NOT NULL,
    media_type       TEXT NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    size             BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX consultation_photos_message ON consultation_photos (citizen_id, message_id);
