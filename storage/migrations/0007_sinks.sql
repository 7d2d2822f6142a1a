-- (publish) Redis sinks: where wxauth writes tokens into the keys an SDK reads. url holds the
-- Redis URL with its password: a secret, kept in this one column so it can be sealed at rest.
-- The health columns are written by the process that publishes (the lease holder) and read by
-- `status`, `publish list` and the console of any process.
CREATE TABLE sinks (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    format          TEXT NOT NULL,
    prefix          TEXT NOT NULL DEFAULT '',
    component_appid TEXT NOT NULL DEFAULT '', -- '' = every platform
    appids          TEXT NOT NULL DEFAULT '', -- comma-separated authorizer appids, '' = all
    component       INTEGER NOT NULL DEFAULT 1, -- publish the component token
    authorizers     INTEGER NOT NULL DEFAULT 1, -- publish authorizer tokens
    created_at      INTEGER NOT NULL,
    health_at       INTEGER NOT NULL DEFAULT 0,
    writer          TEXT NOT NULL DEFAULT '',
    last_write_at   INTEGER NOT NULL DEFAULT 0,
    lag_ms          INTEGER NOT NULL DEFAULT 0,
    pending         INTEGER NOT NULL DEFAULT 0,
    keys_written    INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   INTEGER NOT NULL DEFAULT 0,
    foreign_key     TEXT NOT NULL DEFAULT '',
    foreign_at      INTEGER NOT NULL DEFAULT 0
);
