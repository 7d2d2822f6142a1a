package storage

import (
	"context"
	"database/sql"
	"time"
)

// Event is one entry of the append-only audit log.
type Event struct {
	ID              int64
	At              time.Time
	ComponentAppID  string
	AuthorizerAppID string
	Kind            string
	Level           string // info, warn, error
	Code            int
	Message         string
}

const insertEvent = `INSERT INTO events (at, component_appid, authorizer_appid, kind, level, code, message)
		VALUES (?,?,?,?,?,?,?)`

// AppendEvent adds an entry to the log.
func (db *DB) AppendEvent(ctx context.Context, e Event) error {
	_, err := db.exec(ctx, insertEvent, unixMilli(e.At), e.ComponentAppID, e.AuthorizerAppID, e.Kind, e.Level, e.Code, e.Message)
	return err
}

// AppendEvents adds entries to the log in one transaction (a refresher pass's, batched).
func (db *DB) AppendEvents(ctx context.Context, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, e := range evs {
			if err := db.appendEventTx(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// appendEventTx adds an entry to the log inside tx.
func (db *DB) appendEventTx(ctx context.Context, tx *sql.Tx, e Event) error {
	_, err := db.txExec(ctx, tx, insertEvent, unixMilli(e.At), e.ComponentAppID, e.AuthorizerAppID, e.Kind, e.Level, e.Code, e.Message)
	return err
}

// Events returns a platform's newest events, newest first.
func (db *DB) Events(ctx context.Context, componentAppID string, limit int) ([]Event, error) {
	rows, err := db.query(ctx, `SELECT id, at, component_appid, authorizer_appid, kind, level, code, message
		FROM events WHERE component_appid=? ORDER BY id DESC LIMIT ?`, componentAppID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ComponentAppID, &e.AuthorizerAppID, &e.Kind, &e.Level, &e.Code, &e.Message); err != nil {
			return nil, err
		}
		e.At = fromUnixMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
