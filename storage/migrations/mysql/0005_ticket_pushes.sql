-- (write path) ../0005_ticket_pushes.sql for MySQL: a repeat of the current ticket is counted on
-- its row (pushes) instead of adding one.
ALTER TABLE tickets ADD COLUMN pushes INT NOT NULL DEFAULT 1;
