-- The outbox: every change a citizen should hear about, written in the same transaction
-- as the change. `seq` orders delivery; the relay marks rows delivered.
CREATE TABLE outbox (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    citizen_id       TEXT NOT NULL REFERENCES citizens(id),
    id               TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX outbox_citizen ON outbox (citizen_id, seq);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
