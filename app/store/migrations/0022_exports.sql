-- "Download my data" (issue 14, ADR 0022): one row per export a citizen asked for. Any
-- worker on any node claims a queued row under a lease (as imports do, 0017), writes its
-- progress (0-1) here so every node polls the same figure, and when done names the zip
-- in the blob store and when its link expires. The worker deletes the object after
-- `expires_at` and marks the row expired; the row itself stays as the citizen's record.
CREATE TABLE exports (
    citizen_id    TEXT NOT NULL REFERENCES citizens(id),
    id            TEXT NOT NULL UNIQUE,
    -- queued | running | done | failed | expired
    status        TEXT NOT NULL,
    progress      DOUBLE PRECISION NOT NULL DEFAULT 0,
    blob          TEXT,
    size          BIGINT,
    error_detail  TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX exports_waiting ON exports (status, created_at);
CREATE INDEX exports_expiry ON exports (status, expires_at);
