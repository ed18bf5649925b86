-- The citizen's own data (issue 14 part B, ADR 0023): closing an account, blobs waiting
-- to be deleted, and the indexes the retention sweeps walk in bounded batches.

-- A closed account: the row stays for the clinic's records (consultations, appointments,
-- renewals and the audit log point at it); its login subject and CPR hash are released.
ALTER TABLE citizens ADD COLUMN closed_at BIGINT;

-- Blobs (uploads) whose rows were deleted: written in the deleting transaction, deleted
-- from the blob store after it commits, and retried by the worker until they are gone,
-- so a deletion is all or nothing in the database and the bytes follow.
CREATE TABLE blob_trash (
    blob_key    TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL,
    queued_at   BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX blob_trash_queued ON blob_trash (queued_at);

-- Retention sweeps: oldest first, a bounded batch per pass.
CREATE INDEX gateway_readings_received ON gateway_readings (received_at);
CREATE INDEX gateway_pairings_expiry ON gateway_pairings (expires_at);
CREATE INDEX summary_links_expiry ON summary_links (expires_at);
CREATE INDEX inbox_links_expiry ON inbox_links (expires_at);
CREATE INDEX outbox_created ON outbox (created_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
-- a closing citizen's sessions are found by their login subject
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject);
