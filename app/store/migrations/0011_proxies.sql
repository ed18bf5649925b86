-- Powers of attorney (fuldmagt): a citizen lets a relative act for them, within scopes,
-- until a time. The relative is found by the keyed hash of their CPR number when they
-- log in as themselves.
CREATE TABLE proxies (
    citizen_id      TEXT NOT NULL REFERENCES citizens(id),
    id              TEXT NOT NULL UNIQUE,
    proxy_cpr_hash  TEXT NOT NULL,
    proxy_name      TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    PRIMARY KEY (citizen_id, id)
);
CREATE INDEX proxies_holder ON proxies (proxy_cpr_hash);
