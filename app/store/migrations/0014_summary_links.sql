-- One-time links to a citizen's summary page, for a GP's browser: the clinic's system
-- asks for one with the clinician's token and opens it. Only a hash of the link's
-- secret is stored; a link opens once, within minutes.
CREATE TABLE summary_links (
    token_hash         TEXT PRIMARY KEY,
    clinician_subject  TEXT NOT NULL,
    citizen_id         TEXT NOT NULL REFERENCES citizens(id),
    language           TEXT NOT NULL,
    first_day          TEXT,
    last_day           TEXT,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    used_at            BIGINT
);
