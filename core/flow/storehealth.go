package flow

// The store going away: a database restart, a network partition, a SQLite file on a volume
// that went away or turned read-only. The engine notes the first failure of that kind (and
// says so once, not on every tick), keeps running, and clears it at the next success. What
// WeChat handed out meanwhile is held in memory (held.go) and written when the store is back.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"wxauth/storage"
)

// Store-health event kinds.
const (
	EventStoreUnreachable EventKind = "store_unreachable"
	EventStoreBack        EventKind = "store_reachable"
	EventCredentialHeld   EventKind = "credential_held"
	EventCredentialSaved  EventKind = "credential_saved"
)

// StoreUnavailable reports whether err says the store cannot be reached or written just now
// (and may be again later), as opposed to a refusal about the data (a conflict, a row not
// found) or a damaged database. A store may mark its own errors by giving them a
// StoreUnavailable() bool method; otherwise the connection errors of database/sql and the
// network, and SQLite's I/O, cannot-open and read-only failures, count.
func StoreUnavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var marked interface{ StoreUnavailable() bool }
	if errors.As(err, &marked) {
		return marked.StoreUnavailable()
	}
	if DatabaseDamaged(err) || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, storage.ErrReadOnly) || errors.Is(err, storage.ErrDiskFull) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) || lostConnection(err) {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN, syscall.EIO, syscall.EACCES} {
		if errors.Is(err, errno) {
			return true
		}
	}
	// SQLite's primary result codes (sqlite3.h): SQLITE_IOERR 10, SQLITE_CANTOPEN 14.
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 10, 14:
			return true
		}
	}
	return false
}

// lostConnection reports whether err is, or wraps, go-sql-driver/mysql's ErrInvalidConn
// ("invalid connection": the server went away mid-query; errors.go in that driver), matched by
// its text so that the engine does not depend on one driver.
func lostConnection(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == "invalid connection" {
			return true
		}
	}
	return false
}

// StoreHealth says whether the store answers, and what is held in memory until it does.
type StoreHealth struct {
	Reachable bool
	Since     time.Time // when the current outage began (zero when reachable)
	Err       string    // the last failure of the outage
	Held      []HeldCredential
}

// Remedy says what to do about an outage.
func (h StoreHealth) Remedy() string {
	if h.Reachable {
		return ""
	}
	s := "check that the database is up and reachable from this host (for a SQLite file: its disk, its directory's permissions); wxauth reconnects by itself and keeps serving the tokens it has"
	if len(h.Held) > 0 {
		s += "; keep this process running: it holds credentials WeChat gave once and writes them as soon as the store answers"
	}
	return s
}

// storeWatch tracks the current outage. ok is read on every store call, so the fast path takes
// no lock.
type storeWatch struct {
	log  *slog.Logger
	now  func() time.Time
	ok   atomic.Bool
	wake chan struct{} // the store answered again: the keeper flushes at once

	mu      sync.Mutex
	since   time.Time
	lastErr string
	byWrite bool // the outage was seen by a write: a read answering does not end it
	onDown  func(since time.Time, err error)
}

func newStoreWatch(log *slog.Logger, now func() time.Time) *storeWatch {
	w := &storeWatch{log: log, now: now, wake: make(chan struct{}, 1)}
	w.ok.Store(true)
	return w
}

// observe notes the outcome of one store call; write says whether it wrote.
func (w *storeWatch) observe(err error, write bool) {
	switch {
	case err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict):
		if !w.ok.Load() {
			w.answered(write)
		}
	case StoreUnavailable(err):
		w.failed(err, write)
	}
}

func (w *storeWatch) answered(write bool) {
	w.mu.Lock()
	if w.ok.Load() || (w.byWrite && !write) {
		w.mu.Unlock()
		return
	}
	since := w.since
	w.ok.Store(true)
	w.since, w.lastErr, w.byWrite = time.Time{}, "", false
	w.mu.Unlock()
	w.log.Warn("store reachable again", "unreachable_for", w.now().Sub(since).Round(time.Second))
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *storeWatch) failed(err error, write bool) {
	w.mu.Lock()
	w.lastErr = err.Error()
	w.byWrite = w.byWrite || write
	if !w.ok.Load() {
		w.mu.Unlock()
		return
	}
	w.ok.Store(false)
	w.since = w.now()
	since, onDown := w.since, w.onDown
	w.mu.Unlock()
	if onDown == nil {
		w.log.Error("store unreachable", "err", err)
		return
	}
	onDown(since, err) // the engine's event says it, in the log too
}

// state is the current outage: since is zero when the store answers.
func (w *storeWatch) state() (since time.Time, lastErr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.since, w.lastErr
}

// quiet reports whether err is a store outage already reported: callers that log every
// failure skip those, so an outage is logged once, not on every tick.
func (w *storeWatch) quiet(err error) bool { return StoreUnavailable(err) && !w.ok.Load() }

// StoreHealth reports whether the store answers, since when it does not, and the credentials
// held in memory until it does.
func (e *Engine) StoreHealth() StoreHealth {
	since, lastErr := e.watch.state()
	return StoreHealth{Reachable: since.IsZero(), Since: since, Err: lastErr, Held: e.held.list()}
}

// storeDown runs once when an outage begins: subscribers hear of it at once (the event log
// cannot take it now; the recovery event records the whole outage), and the keeper starts
// probing.
func (e *Engine) storeDown(since time.Time, err error) {
	cause, remedy := splitRemedy(err)
	if remedy == "" {
		remedy = StoreHealth{}.Remedy()
	}
	e.notify(context.Background(), Event{At: since, Kind: EventStoreUnreachable, Level: LevelError,
		Message: "store unreachable since " + since.Format(time.DateTime) + ": " + cause, Remedy: remedy})
	e.startKeeper()
}

// watchStore puts the store behind the watch, and the logger behind quietHandler.
func (e *Engine) watchStore(cfg Config) {
	e.watch = newStoreWatch(e.log, e.clock.Now)
	e.watch.onDown = e.storeDown
	e.log = slog.New(quietHandler{Handler: e.log.Handler(), w: e.watch})
	e.raw = cfg.Store
	e.db = watchedStore{Store: cfg.Store, w: e.watch}
	e.held = &heldQueue{}
	e.closing = make(chan struct{})
	e.heldDeadline, e.givenOnceDeadline = cfg.HeldDeadline, cfg.HeldDeadline
	if cfg.HeldDeadline == 0 {
		e.heldDeadline, e.givenOnceDeadline = heldDeadline, givenOnceDeadline
	}
}

// splitRemedy splits an error as the store words it, "what happened\n  what to do: …", into
// its two parts (remedy is "" when it has none).
func splitRemedy(err error) (cause, remedy string) {
	cause, remedy, _ = strings.Cut(err.Error(), "\n  what to do: ")
	return cause, remedy
}
