-- (publish) ../0007_sinks.sql for MySQL: the Redis sinks. url holds the Redis URL with its
-- password (sealed at rest).
CREATE TABLE sinks (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    url             TEXT NOT NULL,
    format          VARCHAR(32) NOT NULL,
    prefix          TEXT NOT NULL DEFAULT (''),
    component_appid VARCHAR(64) NOT NULL DEFAULT '',
    appids          TEXT NOT NULL DEFAULT (''),
    component       INT NOT NULL DEFAULT 1,
    authorizers     INT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    health_at       BIGINT NOT NULL DEFAULT 0,
    writer          TEXT NOT NULL DEFAULT (''),
    last_write_at   BIGINT NOT NULL DEFAULT 0,
    lag_ms          BIGINT NOT NULL DEFAULT 0,
    pending         BIGINT NOT NULL DEFAULT 0,
    keys_written    BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT (''),
    last_error_at   BIGINT NOT NULL DEFAULT 0,
    foreign_key     TEXT NOT NULL DEFAULT (''),
    foreign_at      BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
