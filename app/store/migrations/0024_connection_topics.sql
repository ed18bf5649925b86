-- Pulls of one kind of data (issue 18, ADR 0024): a Withings notification for appli 16
-- (activity) or 44 (sleep) fetches only that; a Polar push names one exercise or one
-- date. `topic` empty: everything the vendor gives (backfill, daily poll).
ALTER TABLE connection_pulls ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE connection_pulls ADD COLUMN entity TEXT NOT NULL DEFAULT '';
