-- ../0003_renewals_and_faults.sql
CREATE TABLE renew_requests (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_appid VARCHAR(64) NOT NULL,
    target          VARCHAR(64) NOT NULL,
    requested_at    BIGINT NOT NULL,
    done_at         BIGINT NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT (''),
    code            BIGINT NOT NULL DEFAULT 0,
    needs_user      TINYINT NOT NULL DEFAULT 0,
    INDEX renew_requests_pending (component_appid, done_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE faults (
    component_appid VARCHAR(64) NOT NULL,
    hour            BIGINT NOT NULL,
    kind            VARCHAR(128) NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (component_appid, hour, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
