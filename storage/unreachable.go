package storage

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrUnreachable: the server database did not answer (stopped, restarting, network partition).
// Nothing was written by the failed call; database/sql connects again on the next one.
var ErrUnreachable = errors.New("the database server is unreachable")

// UnreachableError is a call that failed because the server database could not be reached.
type UnreachableError struct {
	Where string    // the server's URL without its password
	Since time.Time // when calls began to fail
	Err   error
}

func (e *UnreachableError) Error() string {
	return "database " + e.Where + " unreachable since " + e.Since.Format(time.RFC3339) + ": " + e.Err.Error() +
		"\n  what to do: check that the database server is up and reachable from this host; a running wxauth reconnects on its own"
}

// Is makes errors.Is(err, ErrUnreachable) work.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

func (e *UnreachableError) Unwrap() error { return e.Err }

// MySQL server errors that mean it is going away rather than that the statement was wrong.
var serverGoingAway = map[uint16]bool{1053: true /* shutdown in progress */, 1077: true /* normal shutdown */, 1927: true /* connection killed */}

// unreachable reports whether err is a failure to reach the server, not an answer from it.
func unreachable(err error) bool {
	var me *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.As(err, &me):
		return serverGoingAway[me.Number]
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case errors.As(err, &ne):
		return true
	}
	return false
}

// serverError notes the outcome of a call to the server database: an unreachable server
// becomes an *UnreachableError (remembering since when), any answer clears that.
func (db *DB) serverError(err error) error {
	if err == nil || !unreachable(err) {
		if err == nil || !errors.Is(err, ErrUnreachable) {
			db.down.Store(0)
		}
		return err
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return err
	}
	now := time.Now().UnixMilli()
	db.down.CompareAndSwap(0, now)
	return &UnreachableError{Where: db.where, Since: time.UnixMilli(db.down.Load()), Err: err}
}

// UnreachableSince is when calls to the server database began to fail for want of an answer,
// zero while it answers (and always for SQLite).
func (db *DB) UnreachableSince() time.Time {
	if ms := db.down.Load(); ms != 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// StoreUnavailable marks the error for the engine's outage tracking (flow.StoreUnavailable).
func (e *UnreachableError) StoreUnavailable() bool { return true }
