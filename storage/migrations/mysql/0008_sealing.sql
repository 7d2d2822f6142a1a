-- (secrets at rest) ../0008_sealing.sql for MySQL: the key the secrets are sealed under. The
-- SQLite file's triggers, which refuse a secret not sealed under the current key, are not
-- created here: MySQL with binary logging (TencentDB, RDS) refuses CREATE TRIGGER without SUPER.
-- Every host opens the database with the key and checks it at start; rotate the key with the
-- other hosts stopped (README, "Secrets at rest").
CREATE TABLE seal_key (
    id          INT NOT NULL PRIMARY KEY,
    key_id      VARCHAR(16) NOT NULL,
    check_value TEXT NOT NULL,
    sealed_at   BIGINT NOT NULL,
    CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
