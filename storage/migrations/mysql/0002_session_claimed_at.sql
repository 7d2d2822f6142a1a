-- ../0002_session_claimed_at.sql
ALTER TABLE auth_sessions ADD COLUMN claimed_at BIGINT NOT NULL DEFAULT 0;
