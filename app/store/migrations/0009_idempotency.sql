-- Idempotency-Key on booking: a retried POST after a lost answer returns the same
-- appointment instead of a 409 for the citizen's own booking.
ALTER TABLE appointments ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX appointments_idempotency ON appointments (citizen_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
