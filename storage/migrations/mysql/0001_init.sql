-- wxauth schema v1 for MySQL 8 and MariaDB 10.11+: the tables of ../0001_init.sql. Times are
-- Unix milliseconds (UTC). Keys are VARCHAR (an index needs a length), TEXT defaults are
-- expressions (the form both servers accept), and the binary collation compares appids and
-- tokens byte for byte, as SQLite does. AUTO_INCREMENT seq columns order rows by insertion
-- where SQLite uses its rowid.
CREATE TABLE platforms (
    component_appid  VARCHAR(64) NOT NULL PRIMARY KEY,
    appsecret        TEXT NOT NULL,
    token            TEXT NOT NULL,
    encoding_aes_key TEXT NOT NULL,
    auth_domain      TEXT NOT NULL,
    public_url       TEXT NOT NULL DEFAULT (''),
    listen_addr      TEXT NOT NULL DEFAULT (''),
    api_base         TEXT NOT NULL DEFAULT (''),
    login_base       TEXT NOT NULL DEFAULT (''),
    mobile_base      TEXT NOT NULL DEFAULT (''),
    created_at       BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE tickets (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_appid VARCHAR(64) NOT NULL,
    ticket          TEXT NOT NULL,
    create_time     BIGINT NOT NULL,
    received_at     BIGINT NOT NULL,
    source          VARCHAR(64) NOT NULL,
    INDEX tickets_current (component_appid, create_time, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE component_tokens (
    component_appid VARCHAR(64) NOT NULL PRIMARY KEY,
    token           TEXT NOT NULL,
    obtained_at     BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    version         BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE authorizers (
    component_appid      VARCHAR(64) NOT NULL,
    authorizer_appid     VARCHAR(64) NOT NULL,
    nick_name            TEXT NOT NULL DEFAULT (''),
    user_name            TEXT NOT NULL DEFAULT (''),
    principal_name       TEXT NOT NULL DEFAULT (''),
    kind                 VARCHAR(32) NOT NULL DEFAULT '',
    info_json            MEDIUMTEXT NOT NULL DEFAULT (''),
    func_info            TEXT NOT NULL DEFAULT ('[]'),
    status               VARCHAR(32) NOT NULL,
    access_token         TEXT NOT NULL DEFAULT (''),
    access_obtained_at   BIGINT NOT NULL DEFAULT 0,
    access_expires_at    BIGINT NOT NULL DEFAULT 0,
    access_version       BIGINT NOT NULL DEFAULT 0,
    refresh_token        TEXT NOT NULL DEFAULT (''),
    last_error           TEXT NOT NULL DEFAULT (''),
    last_error_at        BIGINT NOT NULL DEFAULT 0,
    authorized_at        BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (component_appid, authorizer_appid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every refresh token WeChat ever handed out, so none is lost.
CREATE TABLE refresh_tokens (
    seq              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_appid  VARCHAR(64) NOT NULL,
    authorizer_appid VARCHAR(64) NOT NULL,
    refresh_token    VARCHAR(512) NOT NULL,
    source           VARCHAR(64) NOT NULL,
    first_seen_at    BIGINT NOT NULL,
    UNIQUE KEY refresh_tokens_key (component_appid, authorizer_appid, refresh_token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE auth_sessions (
    id                  VARCHAR(64) NOT NULL PRIMARY KEY,
    seq                 BIGINT NOT NULL AUTO_INCREMENT UNIQUE,
    component_appid     VARCHAR(64) NOT NULL,
    pre_auth_code       VARCHAR(255) NOT NULL,
    pre_auth_expires_at BIGINT NOT NULL,
    pc_link             TEXT NOT NULL,
    mobile_link         TEXT NOT NULL,
    state               VARCHAR(16) NOT NULL,
    auth_code           TEXT NOT NULL DEFAULT (''),
    code_source         VARCHAR(32) NOT NULL DEFAULT '',
    authorizer_appid    VARCHAR(64) NOT NULL DEFAULT '',
    error               TEXT NOT NULL DEFAULT (''),
    created_at          BIGINT NOT NULL,
    finished_at         BIGINT NOT NULL DEFAULT 0,
    INDEX auth_sessions_preauth (component_appid, pre_auth_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE leases (
    name       VARCHAR(191) NOT NULL PRIMARY KEY,
    holder     VARCHAR(255) NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Append-only audit log.
CREATE TABLE events (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at               BIGINT NOT NULL,
    component_appid  VARCHAR(64) NOT NULL DEFAULT '',
    authorizer_appid VARCHAR(64) NOT NULL DEFAULT '',
    kind             VARCHAR(64) NOT NULL,
    level            VARCHAR(16) NOT NULL,
    code             BIGINT NOT NULL DEFAULT 0,
    message          TEXT NOT NULL,
    INDEX events_platform (component_appid, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE api_calls (
    component_appid VARCHAR(64) NOT NULL,
    day             CHAR(10) NOT NULL,
    api             VARCHAR(128) NOT NULL,
    calls           BIGINT NOT NULL,
    PRIMARY KEY (component_appid, day, api)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
