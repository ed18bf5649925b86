-- Import jobs any worker can finish (issue 13, ADR 0019): the worker holding a job has
-- a lease (owner and until, renewed while it works); when a worker dies its lease lapses
-- and another takes the job over. Progress (0-1) lives on the row, so every node polls
-- the same figure; attempts counts claims, so a file that kills workers is given up.
ALTER TABLE imports ADD COLUMN lease_owner TEXT;
ALTER TABLE imports ADD COLUMN lease_until BIGINT;
ALTER TABLE imports ADD COLUMN progress DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX imports_waiting ON imports (status, created_at);
