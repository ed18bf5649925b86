-- Gateway pairing codes (single use, short lived), gateway secrets, and readings seen.
ALTER TABLE gateways ADD COLUMN secret_hash TEXT;

CREATE TABLE gateway_pairings (
    code_hash   TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL REFERENCES citizens(id),
    name        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

-- Every reading a gateway sent, by its own id: a resent batch stores nothing new.
CREATE TABLE gateway_readings (
    citizen_id      TEXT NOT NULL,
    gateway_id      TEXT NOT NULL,
    reading_id      TEXT NOT NULL,
    device_key      TEXT NOT NULL,
    characteristic  TEXT NOT NULL,
    sequence        BIGINT,
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, gateway_id, reading_id)
);
-- Glucose meters resend their whole memory: one record per (device, sequence number).
CREATE UNIQUE INDEX gateway_readings_sequence
    ON gateway_readings (citizen_id, device_key, characteristic, sequence)
    WHERE sequence IS NOT NULL;
