-- (token service) The programs allowed to read tokens over the token API: one row per client,
-- with its scope and the SHA-256 of its key (never the key). Usage is written in batches by the
-- serving process, not per request.
CREATE TABLE token_clients (
    name            VARCHAR(64) NOT NULL PRIMARY KEY,
    component_appid VARCHAR(64) NOT NULL,
    appids          TEXT NOT NULL,          -- space-separated; empty: every authorizer of the platform
    component       INTEGER NOT NULL DEFAULT 0, -- may read the component token
    key_hash        VARCHAR(64) NOT NULL,   -- hex SHA-256 of the key
    created_at      BIGINT NOT NULL,
    rotated_at      BIGINT NOT NULL DEFAULT 0,
    last_used_at    BIGINT NOT NULL DEFAULT 0,
    reads_day       VARCHAR(10) NOT NULL DEFAULT '', -- the China-time day reads counts
    read_count      BIGINT NOT NULL DEFAULT 0
);
