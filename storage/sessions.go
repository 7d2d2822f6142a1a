package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Authorization session states.
const (
	SessionPending    = "pending"    // waiting for the merchant to approve
	SessionExchanging = "exchanging" // a code arrived and is being exchanged
	SessionDone       = "done"
	SessionFailed     = "failed"
)

// Session is one authorization attempt: a pre_auth_code and the links built from it.
type Session struct {
	ID               string
	ComponentAppID   string
	PreAuthCode      string
	PreAuthExpiresAt time.Time
	PCLink           string
	MobileLink       string
	State            string
	AuthCode         string
	CodeSource       string // redirect, push, paste
	AuthorizerAppID  string
	Error            string
	CreatedAt        time.Time
	FinishedAt       time.Time
	ClaimedAt        time.Time // wall-clock time of the claim (about processes, not WeChat)
	ClaimedBy        string    // the claiming process's lease-holder id
}

const sessionCols = `id, component_appid, pre_auth_code, pre_auth_expires_at, pc_link, mobile_link, state,
	auth_code, code_source, authorizer_appid, error, created_at, finished_at, claimed_at, claimed_by`

func scanSession(sl *sealer, row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var exp, created, finished, claimed int64
	err := row.Scan(&s.ID, &s.ComponentAppID, &s.PreAuthCode, &exp, &s.PCLink, &s.MobileLink, &s.State,
		&s.AuthCode, &s.CodeSource, &s.AuthorizerAppID, &s.Error, &created, &finished, &claimed, &s.ClaimedBy)
	s.PreAuthExpiresAt, s.CreatedAt, s.FinishedAt = fromUnixMilli(exp), fromUnixMilli(created), fromUnixMilli(finished)
	s.ClaimedAt = fromUnixMilli(claimed)
	if err != nil {
		return s, err
	}
	s.AuthCode, err = sl.open("auth_sessions", "auth_code", s.AuthCode)
	return s, err
}

// CreateSession stores a new pending session.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	_, err := db.exec(ctx, `INSERT INTO auth_sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		s.ID, s.ComponentAppID, s.PreAuthCode, unixMilli(s.PreAuthExpiresAt), s.PCLink, s.MobileLink, SessionPending,
		"", "", "", "", unixMilli(s.CreatedAt), 0, 0, "")
	return err
}

// Session returns one session.
func (db *DB) Session(ctx context.Context, id string) (Session, error) {
	s, err := scanSession(db.sealer(), db.queryRow(ctx, `SELECT `+sessionCols+` FROM auth_sessions WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("authorization session: %w", ErrNotFound)
	}
	return s, err
}

// LatestSession returns a platform's newest authorization session.
func (db *DB) LatestSession(ctx context.Context, componentAppID string) (Session, error) {
	s, err := scanSession(db.sealer(), db.queryRow(ctx, `SELECT `+sessionCols+` FROM auth_sessions
		WHERE component_appid=? ORDER BY created_at DESC, `+db.d.seq()+` DESC LIMIT 1`, componentAppID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("authorization session: %w", ErrNotFound)
	}
	return s, err
}

// SessionByPreAuthCode finds the session that used a pre_auth_code (pushes carry it).
func (db *DB) SessionByPreAuthCode(ctx context.Context, componentAppID, preAuthCode string) (Session, error) {
	s, err := scanSession(db.sealer(), db.queryRow(ctx, `SELECT `+sessionCols+` FROM auth_sessions
		WHERE component_appid=? AND pre_auth_code=?`, componentAppID, preAuthCode))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("authorization session for that pre_auth_code: %w", ErrNotFound)
	}
	return s, err
}

// ClaimSession moves a pending session to exchanging with the code that arrived first, for
// the process named claimant. Only one claim succeeds (sessions are single use): later ones
// get ErrConflict.
func (db *DB) ClaimSession(ctx context.Context, id, code, source, claimant string) (Session, error) {
	var s Session
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE auth_sessions SET state=?, auth_code=?, code_source=?, claimed_at=?, claimed_by=?
			WHERE id=? AND state=?`, SessionExchanging, db.sealer().seal("auth_sessions", "auth_code", code), source, unixMilli(time.Now()), claimant, id, SessionPending)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		s, err = scanSession(db.sealer(), tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM auth_sessions WHERE id=?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("authorization session: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("authorization session is already %s: %w", s.State, ErrConflict)
		}
		return nil
	})
	return s, err
}

// ReleaseSession gives an exchanging session back to the merchant: WeChat refused its code
// (a mistyped paste, a forged redirect) while the pre_auth_code is still valid, so the genuine
// code may still come. Only the claim of that code is released (compare-and-set on state and
// code); a session already finished or claimed again is an ErrConflict.
// The stored code is sealed, so it is compared opened, and the update is conditioned on the
// stored value itself.
func (db *DB) ReleaseSession(ctx context.Context, id, code string) error {
	conflict := fmt.Errorf("authorization session %s is not exchanging that code: %w", id, ErrConflict)
	return db.tx(ctx, func(tx *sql.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT auth_code FROM auth_sessions WHERE id=? AND state=?`, id, SessionExchanging).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			return conflict
		}
		if err != nil {
			return err
		}
		if plain, err := db.sealer().open("auth_sessions", "auth_code", stored); err != nil || plain != code {
			if err != nil {
				return err
			}
			return conflict
		}
		res, err := tx.ExecContext(ctx, `UPDATE auth_sessions SET state=?, auth_code='', code_source='', claimed_at=0, claimed_by=''
			WHERE id=? AND state=? AND auth_code=?`, SessionPending, id, SessionExchanging, stored)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict
		}
		return nil
	})
}

// Exchanges returns a platform's sessions whose code is being exchanged, oldest claim first:
// the caller tells the ones a stopped process left (too old, or claimed by a dead process).
// The code is committed, so those can be retried.
func (db *DB) Exchanges(ctx context.Context, componentAppID string) ([]Session, error) {
	rows, err := db.query(ctx, `SELECT `+sessionCols+` FROM auth_sessions
		WHERE component_appid=? AND state=? ORDER BY claimed_at`, componentAppID, SessionExchanging)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(db.sealer(), rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RetryExchange takes an exchanging session over for claimant if its claim is still the one
// seen (claimedAt), so that only one process resumes it; it reports whether this caller got it.
func (db *DB) RetryExchange(ctx context.Context, id string, claimedAt time.Time, claimant string) (bool, error) {
	res, err := db.exec(ctx, `UPDATE auth_sessions SET claimed_at=?, claimed_by=? WHERE id=? AND state=? AND claimed_at=?`,
		unixMilli(time.Now()), claimant, id, SessionExchanging, unixMilli(claimedAt))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishSession records the outcome of a claimed session: done with the authorizer, or
// failed with errText. Only an exchanging session finishes; any other is an ErrConflict.
func (db *DB) FinishSession(ctx context.Context, id, authorizerAppID, errText string, at time.Time) error {
	state := SessionDone
	if errText != "" {
		state = SessionFailed
	}
	res, err := db.exec(ctx, `UPDATE auth_sessions SET state=?, authorizer_appid=?, error=?, finished_at=? WHERE id=? AND state=?`,
		state, authorizerAppID, errText, unixMilli(at), id, SessionExchanging)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("authorization session %s is not being exchanged: %w", id, ErrConflict)
	}
	return nil
}
