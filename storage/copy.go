package storage

// Copying a whole database into an empty one of either kind (`wxauth migrate --to`): every table
// the schema has, every column both sides have, ids kept, in insertion order, in one
// transaction on the target, then the rows counted on both sides.

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// notCopied are the tables a copy leaves out: the target has its own schema version and its own
// key row (CopyTo checks both are sealed under the same key, so the sealed values are copied as
// they are), and a lease belongs to a running process of the source.
var notCopied = map[string]bool{"schema_version": true, "leases": true, "seal_key": true}

// TableCount is one table's rows in the source and in the target after a copy.
type TableCount struct {
	Table          string
	Source, Target int64
}

// CopyTo copies every row of db into dst, which must be empty and at the same schema version.
// It returns the row counts per table, checked equal (else an error, and dst is left as the
// failed transaction left it: empty).
func (db *DB) CopyTo(ctx context.Context, dst *DB) ([]TableCount, error) {
	sv, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if dv, err := dst.SchemaVersion(ctx); err != nil || dv != sv {
		return nil, fmt.Errorf("the target is at schema version %d, the source at %d: use the same wxauth on both (%v)", dv, sv, err)
	}
	if sk, dk := db.sealer().idOrNone(), dst.sealer().idOrNone(); sk != dk {
		return nil, fmt.Errorf("the source is sealed under %s and the target under %s: open both with the same key (WXAUTH_KEY or --key-file)", sk, dk)
	}
	tables, err := db.tables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if notCopied[t] {
			continue
		}
		if n, err := dst.count(ctx, t); err != nil {
			return nil, fmt.Errorf("the target has no table %s: %w", t, err)
		} else if n > 0 {
			return nil, fmt.Errorf("the target %s is not empty (%d rows in %s): wxauth migrate copies into an empty database only, so nothing in it is overwritten", dst.where, n, t)
		}
	}
	// A transaction on the source: one consistent snapshot even if a process writes (SQLite's
	// immediate transaction holds writers off meanwhile).
	var opts *sql.TxOptions
	if db.d.mysql {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	src, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer src.Rollback()
	err = dst.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range tables {
			if err := db.copyTable(ctx, src, dst, tx, t); err != nil {
				return fmt.Errorf("copying %s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var counts []TableCount
	for _, t := range tables {
		var c TableCount
		c.Table = t
		if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&c.Source); err != nil {
			return nil, err
		}
		if c.Target, err = dst.count(ctx, t); err != nil {
			return nil, err
		}
		if c.Source != c.Target {
			return counts, fmt.Errorf("table %s: %d rows in the source, %d in the target", t, c.Source, c.Target)
		}
		counts = append(counts, c)
	}
	return counts, nil
}

func (db *DB) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	return n, err
}

// tables lists the database's tables that a copy carries, sorted.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`
	if db.d.mysql {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema=DATABASE()`
	}
	names, err := db.strings(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !notCopied[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// columns lists a table's columns, without MySQL's seq (the insertion order, which the copy
// keeps by inserting in that order).
func (db *DB) columns(ctx context.Context, table string) (map[string]bool, error) {
	q := `SELECT name FROM pragma_table_info(?)`
	if db.d.mysql {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema=DATABASE() AND table_name=?`
	}
	names, err := db.strings(ctx, q, table)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range names {
		if n != "seq" || !db.d.mysql {
			out[n] = true
		}
	}
	return out, nil
}

func (db *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// copyBatch is how many rows one INSERT carries.
const copyBatch = 200

func (db *DB) copyTable(ctx context.Context, src *sql.Tx, dst *DB, tx *sql.Tx, table string) error {
	have, err := db.columns(ctx, table)
	if err != nil {
		return err
	}
	want, err := dst.columns(ctx, table)
	if err != nil {
		return err
	}
	var cols []string
	for c := range have {
		if !want[c] {
			return fmt.Errorf("column %s is missing in the target", c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	order := "rowid"
	if db.d.mysql {
		order = "1"
		if db.hasSeq(ctx, table) {
			order = "seq"
		}
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` ORDER BY `+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	one := "(" + placeholders(len(cols)) + ")"
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n := len(batch) / len(cols)
		_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(one+",", n), ","), batch...)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			// Text as text: bytes would land in SQLite as a BLOB, which no string equals.
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		batch = append(batch, vals...)
		if len(batch)/len(cols) >= copyBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

func (db *DB) hasSeq(ctx context.Context, table string) bool {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema=DATABASE() AND table_name=? AND column_name='seq'`, table).Scan(&n)
	return err == nil && n > 0
}
