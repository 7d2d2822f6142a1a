-- When a session's code was claimed, so a refresher can resume an exchange that a stopped
-- process left half done.
ALTER TABLE auth_sessions ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;
