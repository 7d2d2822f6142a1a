-- ../0004_session_claimed_by.sql
ALTER TABLE auth_sessions ADD COLUMN claimed_by VARCHAR(255) NOT NULL DEFAULT '';
