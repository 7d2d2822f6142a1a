package storage

import (
	"regexp"
	"strings"
	"sync"
)

// dialect is what differs between SQLite and MySQL in wxauth's SQL: everything else is the
// subset both (and MariaDB 10.11+) understand.
type dialect struct{ mysql bool }

// excludedCol is compiled on first use (MySQL only), not at init: every command would pay.
var excludedCol = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`excluded\.(\w+)`) })

// upsert is the clause that updates a row whose key (key, SQLite's conflict target) already
// exists. set is written SQLite's way, excluded.col for the new value and table.col for the
// stored one; MySQL spells them VALUES(col) (which MySQL 8 and MariaDB share) and col.
func (d dialect) upsert(table, key, set string) string {
	if !d.mysql {
		return " ON CONFLICT (" + key + ") DO UPDATE SET " + set
	}
	set = excludedCol().ReplaceAllString(set, "VALUES($1)")
	return " ON DUPLICATE KEY UPDATE " + strings.ReplaceAll(set, table+".", "")
}

// insertIgnore is an INSERT INTO table (cols) VALUES (vals) that does nothing when the key
// exists.
func (d dialect) insertIgnore(table, cols, vals string) string {
	if d.mysql {
		return "INSERT IGNORE INTO " + table + " (" + cols + ") VALUES (" + vals + ")"
	}
	return "INSERT INTO " + table + " (" + cols + ") VALUES (" + vals + ") ON CONFLICT DO NOTHING"
}

// seq is the column that orders rows by insertion: SQLite's rowid, an AUTO_INCREMENT column on
// MySQL.
func (d dialect) seq() string {
	if d.mysql {
		return "seq"
	}
	return "rowid"
}

// Name is "sqlite" or "mysql".
func (d dialect) Name() string {
	if d.mysql {
		return "mysql"
	}
	return "sqlite"
}

// tableExists is a query counting the tables named name (0 or 1).
func (d dialect) tableExists(name string) string {
	if d.mysql {
		return `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema=DATABASE() AND table_name='` + name + `'`
	}
	return `SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='` + name + `'`
}

// greatest is the function returning the larger of its arguments (SQLite's scalar MAX).
func (d dialect) greatest() string {
	if d.mysql {
		return "GREATEST"
	}
	return "MAX"
}
