-- (write path) A repeat of the current ticket (WeChat pushes the same value several times
-- before rotating it) is counted on its row instead of adding one: pushes is how many times it
-- arrived, received_at the latest arrival.
ALTER TABLE tickets ADD COLUMN pushes INTEGER NOT NULL DEFAULT 1;
