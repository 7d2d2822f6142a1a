-- (secrets at rest) The key the database's secrets are sealed under: one row once sealed, none
-- while the database is plaintext. check_value is a known text sealed under the key, so a wrong
-- key is told at open, before anything is read or written.
CREATE TABLE seal_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key_id      TEXT NOT NULL,
    check_value TEXT NOT NULL,
    sealed_at   INTEGER NOT NULL
);

-- Once the database is sealed, a secret is written only sealed under its current key: a wxauth
-- still running with a rotated-out key, or without a key, cannot write a secret that the others
-- could not read. (While seal_key is empty the subquery is NULL and nothing is refused.)

CREATE TRIGGER platforms_sealed_insert BEFORE INSERT ON platforms
WHEN (NEW.appsecret <> '' AND substr(NEW.appsecret, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
    OR (NEW.token <> '' AND substr(NEW.token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
    OR (NEW.encoding_aes_key <> '' AND substr(NEW.encoding_aes_key, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER platforms_sealed_update BEFORE UPDATE OF appsecret, token, encoding_aes_key ON platforms
WHEN (NEW.appsecret <> OLD.appsecret AND (NEW.appsecret <> '' AND substr(NEW.appsecret, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
    OR (NEW.token <> OLD.token AND (NEW.token <> '' AND substr(NEW.token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
    OR (NEW.encoding_aes_key <> OLD.encoding_aes_key AND (NEW.encoding_aes_key <> '' AND substr(NEW.encoding_aes_key, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER tickets_sealed_insert BEFORE INSERT ON tickets
WHEN (NEW.ticket <> '' AND substr(NEW.ticket, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER tickets_sealed_update BEFORE UPDATE OF ticket ON tickets
WHEN (NEW.ticket <> OLD.ticket AND (NEW.ticket <> '' AND substr(NEW.ticket, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER component_tokens_sealed_insert BEFORE INSERT ON component_tokens
WHEN (NEW.token <> '' AND substr(NEW.token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER component_tokens_sealed_update BEFORE UPDATE OF token ON component_tokens
WHEN (NEW.token <> OLD.token AND (NEW.token <> '' AND substr(NEW.token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER authorizers_sealed_insert BEFORE INSERT ON authorizers
WHEN (NEW.access_token <> '' AND substr(NEW.access_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
    OR (NEW.refresh_token <> '' AND substr(NEW.refresh_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER authorizers_sealed_update BEFORE UPDATE OF access_token, refresh_token ON authorizers
WHEN (NEW.access_token <> OLD.access_token AND (NEW.access_token <> '' AND substr(NEW.access_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
    OR (NEW.refresh_token <> OLD.refresh_token AND (NEW.refresh_token <> '' AND substr(NEW.refresh_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER refresh_tokens_sealed_insert BEFORE INSERT ON refresh_tokens
WHEN (NEW.refresh_token <> '' AND substr(NEW.refresh_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER refresh_tokens_sealed_update BEFORE UPDATE OF refresh_token ON refresh_tokens
WHEN (NEW.refresh_token <> OLD.refresh_token AND (NEW.refresh_token <> '' AND substr(NEW.refresh_token, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER auth_sessions_sealed_insert BEFORE INSERT ON auth_sessions
WHEN (NEW.auth_code <> '' AND substr(NEW.auth_code, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER auth_sessions_sealed_update BEFORE UPDATE OF auth_code ON auth_sessions
WHEN (NEW.auth_code <> OLD.auth_code AND (NEW.auth_code <> '' AND substr(NEW.auth_code, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER sinks_sealed_insert BEFORE INSERT ON sinks
WHEN (NEW.url <> '' AND substr(NEW.url, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;

CREATE TRIGGER sinks_sealed_update BEFORE UPDATE OF url ON sinks
WHEN (NEW.url <> OLD.url AND (NEW.url <> '' AND substr(NEW.url, 1, 14) <> (SELECT 'wxs1:' || key_id || ':' FROM seal_key)))
BEGIN SELECT RAISE(ABORT, 'wxauth: refused a secret not sealed under the database key; a wxauth still runs with an old key or none: restart it with the current key (wxauth key status)'); END;
