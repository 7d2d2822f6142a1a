package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Ticket is one component_verify_ticket as received.
type Ticket struct {
	ComponentAppID string
	Ticket         string
	CreateTime     time.Time // the push's CreateTime
	ReceivedAt     time.Time
	Source         string // "push", "manual", …
	Pushes         int    // how many times this value arrived (read only: SaveTicket counts)
	// Log, when set, is appended to the event log in the same transaction if the ticket is
	// stored as a new current value (not a repeat, not an older one): a valid push costs one
	// commit, not two.
	Log *Event
	// StaleLog, when set, is appended in the same transaction if the ticket is a new value
	// older than the current one (a delayed or replayed push): that costs one commit too.
	StaleLog *Event
}

// SaveTicket records a ticket in the history. It reports whether the ticket is now the current
// one (a ticket older than the newest stored one is kept in history but never becomes current)
// and whether it repeats the current one: then it is counted on that row (pushes, received_at,
// and its CreateTime if newer) rather than added, so a ticket is stored once per distinct value.
func (db *DB) SaveTicket(ctx context.Context, t Ticket) (current, repeat bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		current, repeat = true, false
		var id, newest int64
		var value string
		err := db.txQueryRow(ctx, tx, `SELECT id, ticket, create_time FROM tickets WHERE component_appid=?
			ORDER BY create_time DESC, id DESC LIMIT 1`, t.ComponentAppID).Scan(&id, &value, &newest)
		if err == nil {
			value, err = db.sealer().open("tickets", "ticket", value)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case value == t.Ticket:
			repeat = true
			_, err := db.txExec(ctx, tx, `UPDATE tickets SET pushes=pushes+1, received_at=`+db.d.greatest()+`(received_at, ?),
				create_time=`+db.d.greatest()+`(create_time, ?) WHERE id=?`, unixMilli(t.ReceivedAt), unixMilli(t.CreateTime), id)
			return err
		default:
			current = unixMilli(t.CreateTime) >= newest
		}
		_, err = db.txExec(ctx, tx, `INSERT INTO tickets (component_appid, ticket, create_time, received_at, source)
			VALUES (?,?,?,?,?)`, t.ComponentAppID, db.sealer().seal("tickets", "ticket", t.Ticket), unixMilli(t.CreateTime), unixMilli(t.ReceivedAt), t.Source)
		log := t.Log
		if !current {
			log = t.StaleLog
		}
		if err != nil || log == nil {
			return err
		}
		return db.appendEventTx(ctx, tx, *log)
	})
	return current, repeat, err
}

// CurrentTicket returns the newest ticket by CreateTime (ties: the last received).
func (db *DB) CurrentTicket(ctx context.Context, componentAppID string) (Ticket, error) {
	var t Ticket
	var created, received int64
	err := db.queryRow(ctx, `SELECT component_appid, ticket, create_time, received_at, source, pushes FROM tickets
		WHERE component_appid=? ORDER BY create_time DESC, id DESC LIMIT 1`, componentAppID).
		Scan(&t.ComponentAppID, &t.Ticket, &created, &received, &t.Source, &t.Pushes)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket for %s: %w", componentAppID, ErrNotFound)
	}
	t.CreateTime, t.ReceivedAt = fromUnixMilli(created), fromUnixMilli(received)
	if err != nil {
		return t, err
	}
	t.Ticket, err = db.sealer().open("tickets", "ticket", t.Ticket)
	return t, err
}

// LastTicketReceivedAt is when the last push of any age arrived (zero if never).
func (db *DB) LastTicketReceivedAt(ctx context.Context, componentAppID string) (time.Time, error) {
	var v sql.NullInt64
	err := db.queryRow(ctx, `SELECT MAX(received_at) FROM tickets WHERE component_appid=?`, componentAppID).Scan(&v)
	return fromUnixMilli(v.Int64), err
}

// ComponentToken is the stored component_access_token. Version increases on every swap.
type ComponentToken struct {
	ComponentAppID string
	Token          string
	ObtainedAt     time.Time
	ExpiresAt      time.Time
	Version        int64
}

// ComponentToken returns the stored token (ErrNotFound when none was ever obtained).
func (db *DB) ComponentToken(ctx context.Context, componentAppID string) (ComponentToken, error) {
	var t ComponentToken
	var obtained, expires int64
	err := db.queryRow(ctx, `SELECT component_appid, token, obtained_at, expires_at, version
		FROM component_tokens WHERE component_appid=?`, componentAppID).
		Scan(&t.ComponentAppID, &t.Token, &obtained, &expires, &t.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return ComponentToken{ComponentAppID: componentAppID}, fmt.Errorf("component token for %s: %w", componentAppID, ErrNotFound)
	}
	t.ObtainedAt, t.ExpiresAt = fromUnixMilli(obtained), fromUnixMilli(expires)
	if err != nil {
		return t, err
	}
	t.Token, err = db.sealer().open("component_tokens", "token", t.Token)
	return t, err
}

// SwapComponentToken stores next if the stored version is still prev (0 = none stored yet).
// It returns the stored token with its new version, or ErrConflict when another writer won.
func (db *DB) SwapComponentToken(ctx context.Context, prev int64, next ComponentToken) (ComponentToken, error) {
	if next.Token == "" {
		return next, fmt.Errorf("refusing to store an empty component token")
	}
	next.Version = prev + 1
	sealed := db.sealer().seal("component_tokens", "token", next.Token)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if prev == 0 {
			res, err = tx.ExecContext(ctx, db.d.insertIgnore("component_tokens", "component_appid, token, obtained_at, expires_at, version", "?,?,?,?,?"),
				next.ComponentAppID, sealed, unixMilli(next.ObtainedAt), unixMilli(next.ExpiresAt), next.Version)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE component_tokens SET token=?, obtained_at=?, expires_at=?, version=?
				WHERE component_appid=? AND version=?`,
				sealed, unixMilli(next.ObtainedAt), unixMilli(next.ExpiresAt), next.Version, next.ComponentAppID, prev)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("component token for %s: %w", next.ComponentAppID, ErrConflict)
		}
		return nil
	})
	return next, err
}

// ExpireComponentToken marks the stored token dead at at, if it is still version: WeChat
// rejected it before its time. The version stays, so the mint that follows swaps against it.
func (db *DB) ExpireComponentToken(ctx context.Context, componentAppID string, version int64, at time.Time) error {
	_, err := db.exec(ctx, `UPDATE component_tokens SET expires_at=? WHERE component_appid=? AND version=? AND expires_at>?`,
		unixMilli(at), componentAppID, version, unixMilli(at))
	return err
}
