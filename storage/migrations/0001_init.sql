-- wxauth schema v1. Times are Unix milliseconds (UTC).
CREATE TABLE platforms (
    component_appid  TEXT PRIMARY KEY,
    appsecret        TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT NOT NULL,
    auth_domain      TEXT NOT NULL,
    public_url       TEXT NOT NULL DEFAULT '',
    listen_addr      TEXT NOT NULL DEFAULT '',
    api_base         TEXT NOT NULL DEFAULT '',
    login_base       TEXT NOT NULL DEFAULT '',
    mobile_base      TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);

-- Every ticket ever received; the current one is the newest by create_time.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    component_appid TEXT NOT NULL,
    ticket          TEXT NOT NULL,
    create_time     INTEGER NOT NULL, -- CreateTime of the push (ms)
    received_at     INTEGER NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX tickets_current ON tickets (component_appid, create_time DESC, id DESC);

CREATE TABLE component_tokens (
    component_appid TEXT PRIMARY KEY,
    token           TEXT NOT NULL,
    obtained_at     INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL
);

CREATE TABLE authorizers (
    component_appid      TEXT NOT NULL,
    authorizer_appid     TEXT NOT NULL,
    nick_name            TEXT NOT NULL DEFAULT '',
    user_name            TEXT NOT NULL DEFAULT '',
    principal_name       TEXT NOT NULL DEFAULT '',
    kind                 TEXT NOT NULL DEFAULT '',
    info_json            TEXT NOT NULL DEFAULT '',
    func_info            TEXT NOT NULL DEFAULT '[]',
    status               TEXT NOT NULL,
    access_token         TEXT NOT NULL DEFAULT '',
    access_obtained_at   INTEGER NOT NULL DEFAULT 0,
    access_expires_at    INTEGER NOT NULL DEFAULT 0,
    access_version       INTEGER NOT NULL DEFAULT 0,
    refresh_token        TEXT NOT NULL DEFAULT '',
    last_error           TEXT NOT NULL DEFAULT '',
    last_error_at        INTEGER NOT NULL DEFAULT 0,
    authorized_at        INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (component_appid, authorizer_appid)
);

-- Every refresh token WeChat ever handed out, so none is lost.
CREATE TABLE refresh_tokens (
    component_appid  TEXT NOT NULL,
    authorizer_appid TEXT NOT NULL,
    refresh_token    TEXT NOT NULL,
    source           TEXT NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    PRIMARY KEY (component_appid, authorizer_appid, refresh_token)
);

CREATE TABLE auth_sessions (
    id                 TEXT PRIMARY KEY,
    component_appid    TEXT NOT NULL,
    pre_auth_code      TEXT NOT NULL,
    pre_auth_expires_at INTEGER NOT NULL,
    pc_link            TEXT NOT NULL,
    mobile_link        TEXT NOT NULL,
    state              TEXT NOT NULL, -- pending, exchanging, done, failed
    auth_code          TEXT NOT NULL DEFAULT '',
    code_source        TEXT NOT NULL DEFAULT '',
    authorizer_appid   TEXT NOT NULL DEFAULT '',
    error              TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    finished_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auth_sessions_preauth ON auth_sessions (component_appid, pre_auth_code);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Append-only audit log.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    component_appid  TEXT NOT NULL DEFAULT '',
    authorizer_appid TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    level            TEXT NOT NULL,
    code             INTEGER NOT NULL DEFAULT 0,
    message          TEXT NOT NULL
);
CREATE INDEX events_platform ON events (component_appid, id DESC);

CREATE TABLE api_calls (
    component_appid TEXT NOT NULL,
    day             TEXT NOT NULL, -- YYYY-MM-DD in UTC+8, WeChat's quota day
    api             TEXT NOT NULL,
    calls           INTEGER NOT NULL,
    PRIMARY KEY (component_appid, day, api)
);
