-- (token service) ../0006_token_clients.sql for MySQL: the programs allowed to read tokens over
-- the token API, with their scope and the SHA-256 of their key (never the key).
CREATE TABLE token_clients (
    name            VARCHAR(64) NOT NULL PRIMARY KEY,
    component_appid VARCHAR(64) NOT NULL,
    appids          TEXT NOT NULL,
    component       INT NOT NULL DEFAULT 0,
    key_hash        VARCHAR(64) NOT NULL,
    created_at      BIGINT NOT NULL,
    rotated_at      BIGINT NOT NULL DEFAULT 0,
    last_used_at    BIGINT NOT NULL DEFAULT 0,
    reads_day       VARCHAR(10) NOT NULL DEFAULT '',
    read_count      BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
