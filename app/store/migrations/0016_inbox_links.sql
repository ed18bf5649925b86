-- One-time links to the clinic's inbox page, for a GP's browser (ADR 0016). Like
-- summary_links, but a link names no citizen: the page lists the clinician's inbox as
-- it is when the link is opened. Only a hash of the link's secret is stored; a link
-- opens once, within minutes.
CREATE TABLE inbox_links (
    token_hash         TEXT PRIMARY KEY,
    clinician_subject  TEXT NOT NULL,
    language           TEXT NOT NULL,
    status             TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    used_at            BIGINT
);
