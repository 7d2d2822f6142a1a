-- Which process claimed a session's code (its lease-holder id, host:pid:random), so that an
-- exchange left by a process that died on this host is resumed at once, not after a timeout.
ALTER TABLE auth_sessions ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
