-- Reminders: an appointment booked at least a day ahead gets one notice a day before.
-- `reminded_at` is set in the transaction that writes the notice, so it is sent once.
ALTER TABLE appointments ADD COLUMN reminded_at BIGINT;
CREATE INDEX appointments_to_remind ON appointments (starts_at)
    WHERE status = 'booked' AND reminded_at IS NULL;
