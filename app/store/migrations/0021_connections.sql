-- Cloud connections (issue 18, ADR 0021): a citizen's linked vendor accounts (Withings,
-- Polar), the OAuth states on their way through a browser, the pulls any worker can
-- take, and the app-wide request budget per vendor shared by every node.

-- One row per linked account. `tokens` is sealed (AES-GCM under the data key) and
-- never leaves the store in clear; `token_version` moves on every refresh, so a refresh
-- is stored only over the version it started from. `refresh_until` is the lease of the
-- worker refreshing now (refresh tokens rotate: two refreshing at once would race).
CREATE TABLE connections (
    citizen_id      TEXT NOT NULL REFERENCES citizens(id),
    vendor          TEXT NOT NULL,
    vendor_user     TEXT NOT NULL,
    -- connected | broken
    status          TEXT NOT NULL,
    tokens          TEXT NOT NULL,
    token_version   INTEGER NOT NULL DEFAULT 0,
    refresh_until   BIGINT,
    created_at      BIGINT NOT NULL,
    last_sync       BIGINT,
    -- the daily polling fallback: the next time this account is pulled unasked
    next_poll_at    BIGINT NOT NULL,
    backfill_total  INTEGER NOT NULL DEFAULT 0,
    backfill_done   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (citizen_id, vendor)
);
-- a notification names the vendor's user id only
CREATE UNIQUE INDEX connections_vendor_user ON connections (vendor, vendor_user);
CREATE INDEX connections_poll ON connections (next_poll_at);

-- OAuth `state`: stored as its SHA-256, bound to the citizen, taken once, 10 minutes.
CREATE TABLE connection_states (
    state_hash     TEXT PRIMARY KEY,
    citizen_id     TEXT NOT NULL REFERENCES citizens(id),
    vendor         TEXT NOT NULL,
    -- the PKCE code verifier (sealed), for vendors that support PKCE
    code_verifier  TEXT,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX connection_states_expiry ON connection_states (expires_at);

-- Pulls: one row per window to fetch (backfill chunk, notification, daily poll,
-- subscription). A worker claims a row by moving `due_at` past its lease (as the push
-- relay does with the outbox); done rows are deleted, failed ones come back later.
CREATE TABLE connection_pulls (
    id          TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    -- backfill | notify | poll | subscribe
    kind        TEXT NOT NULL,
    start_s     BIGINT NOT NULL,
    end_s       BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX connection_pulls_due ON connection_pulls (due_at);
CREATE INDEX connection_pulls_citizen ON connection_pulls (citizen_id, vendor);

-- The vendor's request budget for the whole app (Withings: 120 a minute), a token
-- bucket every node takes from with one conditional UPDATE.
CREATE TABLE vendor_rate_buckets (
    name        TEXT PRIMARY KEY,
    tokens      DOUBLE PRECISION NOT NULL,
    updated_ms  BIGINT NOT NULL
);
