package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sealedColumn is a column that holds a secret, and the columns that find its row.
type sealedColumn struct {
	table, name string
	keys        []string
}

// sealedColumns are every secret the database keeps. Not sealed, on purpose:
// auth_sessions.pre_auth_code, because a push carries it and the session is looked up by it
// (SessionByPreAuthCode); it lives 30 minutes, is used once, and authorizes nothing by itself:
// it only opens an authorization page for this platform, and it is in the session's links
// anyway. Events and renewal requests carry no secrets (the engine masks what it logs).
var sealedColumns = []sealedColumn{
	{"platforms", "appsecret", []string{"component_appid"}},
	{"platforms", "token", []string{"component_appid"}},
	{"platforms", "encoding_aes_key", []string{"component_appid"}},
	{"tickets", "ticket", []string{"id"}},
	{"component_tokens", "token", []string{"component_appid"}},
	{"authorizers", "access_token", []string{"component_appid", "authorizer_appid"}},
	{"authorizers", "refresh_token", []string{"component_appid", "authorizer_appid"}},
	{"refresh_tokens", "refresh_token", []string{"component_appid", "authorizer_appid"}},
	{"auth_sessions", "auth_code", []string{"id"}},
	{"sinks", "url", []string{"id"}}, // the Redis URL holds its password
}

// keyCheckText is sealed into seal_key.check_value: opening it proves the key.
const keyCheckText = "wxauth key check"

// sealer is the key this handle seals under (nil: none).
func (db *DB) sealer() *sealer { return db.seal.Load() }

// sealedKey reads the seal_key row: ok false when the database is plaintext (or predates it).
func (db *DB) sealedKey(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (keyID, check string, at time.Time, ok bool, err error) {
	var n int
	if err := q.QueryRowContext(ctx, db.d.tableExists("seal_key")).Scan(&n); err != nil || n == 0 {
		return "", "", time.Time{}, false, err
	}
	var ms int64
	err = q.QueryRowContext(ctx, `SELECT key_id, check_value, sealed_at FROM seal_key WHERE id=1`).Scan(&keyID, &check, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", time.Time{}, false, nil
	}
	return keyID, check, fromUnixMilli(ms), err == nil, err
}

// checkKey runs at open, before any migration: a sealed database opens only with its key (or
// for inspection), and a missing or wrong key leaves it untouched. It reports whether the
// database is sealed.
func (db *DB) checkKey(ctx context.Context, o options) (sealed bool, err error) {
	keyID, check, _, ok, err := db.sealedKey(ctx, db.sql)
	if err != nil {
		return false, fmt.Errorf("reading the database's key id: %w", err)
	}
	if !ok || o.inspect {
		return ok, nil
	}
	s := db.sealer()
	if s == nil {
		return true, &KeyError{Kind: ErrKeyRequired, DatabaseKeyID: keyID}
	}
	if keyID != s.id {
		return true, &KeyError{Kind: ErrWrongKey, DatabaseKeyID: keyID, GivenKeyID: s.id}
	}
	if v, err := s.open("seal_key", "check_value", check); err != nil || v != keyCheckText {
		return true, &KeyError{Kind: ErrWrongKey, DatabaseKeyID: keyID, GivenKeyID: s.id + ", whose check value does not open"}
	}
	return true, nil
}

// sealPlaintext seals a plaintext database opened with a key: the key's row, then every
// secret, in one transaction (a failure leaves it plaintext). A sealed database has nothing to
// do: its triggers (migration 0008) refuse any secret not sealed under its key.
func (db *DB) sealPlaintext(ctx context.Context) error {
	s := db.sealer()
	if s == nil {
		return nil
	}
	if _, _, _, ok, err := db.sealedKey(ctx, db.sql); err != nil || ok {
		return err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, _, _, ok, err := db.sealedKey(ctx, tx); err != nil || ok {
			return err // another process sealed it meanwhile (checkKey at its next open)
		}
		_, err := reseal(ctx, tx, nil, s)
		return err
	})
	if err != nil {
		return err
	}
	// Best effort: the seal is committed; a busy database keeps the old bytes in its free
	// pages until a later `wxauth key rotate` or VACUUM (README, "Secrets at rest").
	_ = db.Compact(ctx)
	return nil
}

// Compact rewrites the database file without its free pages (VACUUM) and empties the WAL, so
// that the values sealing or rotation replaced (plaintext, or under a retired key) are no
// longer in the file's bytes. It needs the write lock for as long as the copy takes.
func (db *DB) Compact(ctx context.Context) error {
	if db.d.mysql {
		return nil // InnoDB reuses freed pages in place; there is no file of ours to rewrite
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM`); err != nil {
		return fileError(db.path, fmt.Errorf("compacting the database (VACUUM): %w", err))
	}
	var busy, logFrames, done int
	if err := db.sql.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fileError(db.path, fmt.Errorf("checkpointing the database: %w", err))
	}
	if busy != 0 {
		return fmt.Errorf("database %s: another process is reading it, so its journal (-wal) still holds replaced values until the next checkpoint", db.path)
	}
	return nil
}

// reseal writes s's key row and moves every secret from under from (nil: plaintext) to
// under s, in tx. It returns how many values it sealed.
func reseal(ctx context.Context, tx *sql.Tx, from, to *sealer) (int, error) {
	// Delete and insert rather than an upsert: the same SQL on every dialect.
	if _, err := tx.ExecContext(ctx, `DELETE FROM seal_key`); err != nil {
		return 0, fmt.Errorf("recording the key id: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO seal_key (id, key_id, check_value, sealed_at) VALUES (1,?,?,?)`,
		to.id, to.seal("seal_key", "check_value", keyCheckText), unixMilli(time.Now())); err != nil {
		return 0, fmt.Errorf("recording the key id: %w", err)
	}
	n := 0
	for _, c := range sealedColumns {
		done, err := resealColumn(ctx, tx, c, from, to)
		n += done
		if err != nil {
			return n, fmt.Errorf("%s.%s: %w", c.table, c.name, err)
		}
	}
	return n, nil
}

// resealColumn re-seals one column. Its values are read first and written after, so the
// reads never see a half-updated table; a column holds a few values per account.
func resealColumn(ctx context.Context, tx *sql.Tx, c sealedColumn, from, to *sealer) (int, error) {
	keys := strings.Join(c.keys, ", ")
	rows, err := tx.QueryContext(ctx, `SELECT `+keys+`, `+c.name+` FROM `+c.table+` WHERE `+c.name+` <> ''`)
	if err != nil {
		return 0, err
	}
	var todo [][]any
	for rows.Next() {
		vals := make([]any, len(c.keys)+1)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, vals)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	where := strings.Join(c.keys, "=? AND ") + "=? AND " + c.name + "=?"
	for _, vals := range todo {
		old := asString(vals[len(vals)-1])
		plain, err := from.open(c.table, c.name, old)
		if err != nil {
			return 0, err
		}
		args := append([]any{to.seal(c.table, c.name, plain)}, vals[:len(vals)-1]...)
		if _, err := tx.ExecContext(ctx, `UPDATE `+c.table+` SET `+c.name+`=? WHERE `+where, append(args, old)...); err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}

func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}

// RotateKey re-seals every secret under next in one transaction, and this handle uses next
// from then on. A failure (a value that does not open, the disk) rolls everything back: the
// database stays under its key. It returns how many values were re-sealed.
func (db *DB) RotateKey(ctx context.Context, next Key) (int, error) {
	to, err := newSealer(next)
	if err != nil {
		return 0, err
	}
	if to == nil {
		return 0, fmt.Errorf("rotating: %w: no new key", ErrBadKey)
	}
	from := db.sealer()
	if from != nil && from.id == to.id {
		return 0, fmt.Errorf("rotating: the new key is the database's key (%s)", to.id)
	}
	var n int
	err = db.tx(ctx, func(tx *sql.Tx) error {
		// Under the write lock: the key may have changed since this handle opened.
		keyID, _, _, ok, err := db.sealedKey(ctx, tx)
		if err != nil {
			return err
		}
		if ok && (from == nil || keyID != from.id) {
			return &KeyError{Kind: ErrWrongKey, DatabaseKeyID: keyID, GivenKeyID: from.idOrNone()}
		}
		n, err = reseal(ctx, tx, from, to)
		return err
	})
	if err != nil {
		return 0, err
	}
	db.seal.Store(to)
	return n, nil
}

func (s *sealer) idOrNone() string {
	if s == nil {
		return "none"
	}
	return s.id
}

// SealStatus is what `wxauth key status` shows: no secret, only counts and the key id.
type SealStatus struct {
	Sealed   bool
	KeyID    string // the database's key id ("" when plaintext)
	SealedAt time.Time
	Columns  []ColumnSeal
}

// ColumnSeal counts one secret column's values.
type ColumnSeal struct {
	Table, Column string
	Sealed        int // values sealed under the database's key
	Plain         int // values not sealed
	OtherKey      int // values sealed under another key (should be none)
}

// SealStatus counts the sealed and plaintext secrets without opening any.
func (db *DB) SealStatus(ctx context.Context) (SealStatus, error) {
	var st SealStatus
	keyID, _, at, ok, err := db.sealedKey(ctx, db.sql)
	if err != nil {
		return st, err
	}
	st.Sealed, st.KeyID, st.SealedAt = ok, keyID, at
	prefix := sealPrefix + keyID + ":"
	for _, c := range sealedColumns {
		cs := ColumnSeal{Table: c.table, Column: c.name}
		err := db.queryRow(ctx, `SELECT
				COALESCE(SUM(CASE WHEN substr(`+c.name+`, 1, 14) = ? THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN substr(`+c.name+`, 1, 5) <> ? THEN 1 ELSE 0 END), 0),
				COUNT(*)
			FROM `+c.table+` WHERE `+c.name+` <> ''`, prefix, sealPrefix).Scan(&cs.Sealed, &cs.Plain, &cs.OtherKey)
		if err != nil {
			return st, fmt.Errorf("%s.%s: %w", c.table, c.name, err)
		}
		cs.OtherKey -= cs.Sealed + cs.Plain
		st.Columns = append(st.Columns, cs)
	}
	return st, nil
}
