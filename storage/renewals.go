package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RenewRequest asks the holder of a platform's lease for a token obtained at or after
// RequestedAt. The holder answers by finishing it, with the error if it could not.
type RenewRequest struct {
	ID             int64
	ComponentAppID string
	Target         string // "component", or an authorizer appid
	RequestedAt    time.Time
	DoneAt         time.Time // zero while pending
	Error          string
	Code           int  // the WeChat errcode of the failure, if any
	NeedsUser      bool // the failure is one only a person can fix
}

const renewCols = `id, component_appid, target, requested_at, done_at, error, code, needs_user`

func scanRenewal(row interface{ Scan(...any) error }) (RenewRequest, error) {
	var r RenewRequest
	var req, done int64
	err := row.Scan(&r.ID, &r.ComponentAppID, &r.Target, &req, &done, &r.Error, &r.Code, &r.NeedsUser)
	r.RequestedAt, r.DoneAt = fromUnixMilli(req), fromUnixMilli(done)
	return r, err
}

// RequestRenewal files a request and returns its id.
func (db *DB) RequestRenewal(ctx context.Context, componentAppID, target string, at time.Time) (int64, error) {
	res, err := db.exec(ctx, `INSERT INTO renew_requests (component_appid, target, requested_at) VALUES (?,?,?)`,
		componentAppID, target, unixMilli(at))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Renewal returns one request.
func (db *DB) Renewal(ctx context.Context, id int64) (RenewRequest, error) {
	r, err := scanRenewal(db.queryRow(ctx, `SELECT `+renewCols+` FROM renew_requests WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("renewal request %d: %w", id, ErrNotFound)
	}
	return r, err
}

// PendingRenewals lists a platform's unanswered requests, oldest first.
func (db *DB) PendingRenewals(ctx context.Context, componentAppID string) ([]RenewRequest, error) {
	rows, err := db.query(ctx, `SELECT `+renewCols+` FROM renew_requests
		WHERE component_appid=? AND done_at=0 ORDER BY id`, componentAppID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RenewRequest
	for rows.Next() {
		r, err := scanRenewal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FinishRenewal answers a request (errText empty: renewed). Answered requests older than a
// day are dropped on the way: they only matter to the process that waits for them.
func (db *DB) FinishRenewal(ctx context.Context, id int64, errText string, code int, needsUser bool, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE renew_requests SET done_at=?, error=?, code=?, needs_user=? WHERE id=? AND done_at=0`,
			unixMilli(at), errText, code, needsUser, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM renew_requests WHERE done_at>0 AND done_at<?`, unixMilli(at.Add(-24*time.Hour)))
		return err
	})
}
