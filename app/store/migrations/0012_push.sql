-- Push: the citizen's phones (APNs or FCM device tokens), and what the relay did with
-- each outbox row. A token belongs to one phone, so it is unique across citizens: a
-- phone that changes hands (or logins) moves to whoever registered it last.
CREATE TABLE push_devices (
    id          TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    platform    TEXT NOT NULL,
    token       TEXT NOT NULL,
    -- 1: the lock screen may show the notice's title; 0 (default): a neutral text only
    previews    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    UNIQUE (platform, token)
);
CREATE INDEX push_devices_citizen ON push_devices (citizen_id);
-- sent | no-device | expired | gave-up; NULL while the relay has not finished the row
ALTER TABLE outbox ADD COLUMN push_outcome TEXT;
