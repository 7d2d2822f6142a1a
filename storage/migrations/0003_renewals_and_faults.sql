-- (engine-hardening) Renewal requests: a process that needs a token renewed while another holds
-- the platform's lease asks the holder through the database instead of waiting the lease out.
CREATE TABLE renew_requests (
    id              INTEGER PRIMARY KEY,
    component_appid TEXT NOT NULL,
    target          TEXT NOT NULL, -- "component", or an authorizer appid
    requested_at    INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    code            INTEGER NOT NULL DEFAULT 0,
    needs_user      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX renew_requests_pending ON renew_requests (component_appid, done_at);

-- WeChat faults that a retry got past (or not), per platform, hour and kind ("-1", "HTTP 502",
-- "network"…), so `status` can tell a flaky WeChat from a healthy one.
CREATE TABLE faults (
    component_appid TEXT NOT NULL,
    hour            INTEGER NOT NULL, -- Unix hours
    kind            TEXT NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (component_appid, hour, kind)
);
