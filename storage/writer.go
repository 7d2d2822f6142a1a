package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// The single writer with group commit. SQLite lets one connection write at a time; when 16
// handlers each open their own write transaction they queue on the file lock, and each pays its
// own commit (a WAL append and, for durable ones, an fsync). Instead every write of this process
// (db.tx, db.durableTx, db.exec) is a request to one goroutine that owns the one write
// connection: it takes whatever requests are waiting, runs them in one IMMEDIATE transaction,
// commits once and then answers every caller. A caller's failure sends the batch through again
// one request per transaction (group), so it costs only that caller its work. A caller returns
// only after its commit.
//
// Several processes sharing the file still serialise on SQLite's lock: the writer's BEGIN
// IMMEDIATE waits out another process's transaction under busy_timeout, as before.

// maxBatch bounds one transaction, so one commit never holds the write lock for long.
const maxBatch = 256

// walCheckEvery is how many commits pass between two looks at the WAL's size (boundWAL).
const walCheckEvery = 16

// ErrClosed is returned by a write submitted after Close.
var ErrClosed = errors.New("database closed")

type writeReq struct {
	ctx     context.Context
	fn      func(*sql.Tx) error
	durable bool
	done    chan error
}

type writer struct {
	db      *sql.DB // one connection, used only by run
	reqs    chan *writeReq
	mu      sync.RWMutex // held shared while sending on reqs, exclusively by close
	closed  bool
	stopped chan struct{}
	stmts   map[string]*sql.Stmt // prepared on the write connection, used only by run's callers
	want    []string             // statements to prepare once the connection is free
	stmtMu  sync.Mutex
	walPath string
	ckptMu  *sync.Mutex // shared with the checkpointer: one checkpoint at a time
	// commits counts commits and committed is told (without blocking) after each one: the
	// checkpointer's cue.
	commits   *atomic.Int64
	committed chan<- struct{}
}

func newWriter(db *sql.DB, walPath string, ckptMu *sync.Mutex, commits *atomic.Int64, committed chan<- struct{}) *writer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	w := &writer{db: db, reqs: make(chan *writeReq, maxBatch), stopped: make(chan struct{}),
		stmts: map[string]*sql.Stmt{}, commits: commits, committed: committed, walPath: walPath, ckptMu: ckptMu}
	go w.run()
	return w
}

// do queues fn and waits for its transaction's commit (or its own failure). It waits even when
// ctx ends meanwhile: a request already taken runs to its end, so the caller's answer is the
// truth about what was written; a request still queued when ctx ends is not run.
func (w *writer) do(ctx context.Context, durable bool, fn func(*sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, durable: durable, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	w.reqs <- r
	w.mu.RUnlock()
	return <-r.done
}

// close refuses new requests, lets the writer finish what is queued, and waits for it.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.reqs)
	}
	w.mu.Unlock()
	<-w.stopped
	w.stmtMu.Lock()
	for _, s := range w.stmts {
		s.Close()
	}
	w.stmtMu.Unlock()
}

func (w *writer) isClosed() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

// stmt is query prepared on the write connection (a transaction rebinds it for free), or nil
// the first time: the connection is inside a transaction then, so the writer prepares it after
// the commit (prepareWanted).
func (w *writer) stmt(query string) *sql.Stmt {
	w.stmtMu.Lock()
	defer w.stmtMu.Unlock()
	if s, ok := w.stmts[query]; ok {
		return s
	}
	w.want = append(w.want, query)
	return nil
}

func (w *writer) prepareWanted() {
	w.stmtMu.Lock()
	defer w.stmtMu.Unlock()
	for _, q := range w.want {
		if _, ok := w.stmts[q]; ok {
			continue
		}
		if s, err := w.db.Prepare(q); err == nil {
			w.stmts[q] = s
		}
	}
	w.want = w.want[:0]
}

func (w *writer) run() {
	defer close(w.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	commits := 0
	for {
		first, ok := <-w.reqs
		if !ok {
			return
		}
		// Let the handlers that are about to submit run first (with nothing else runnable
		// this returns at once): a batch of several shares one commit.
		runtime.Gosched()
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		w.commitBatch(batch)
		clear(batch)
		w.prepareWanted()
		// Stat the WAL every few commits, not after each: a few commits more are a few pages.
		if commits++; commits%walCheckEvery == 0 {
			w.boundWAL()
		}
		w.commits.Add(1)
		select {
		case w.committed <- struct{}{}:
		default:
		}
	}
}

// commitBatch runs the live requests of batch in one transaction and answers them all.
func (w *writer) commitBatch(batch []*writeReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- fmt.Errorf("database: %w", err)
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].done <- w.single(live[0])
		return
	}
	if err := w.group(live); err != nil {
		// A caller failed, or the shared transaction did (its commit, or a caller's cancelled
		// statement made SQLite abandon it): nothing of it was written, so each request runs
		// again alone and gets its own answer.
		for _, r := range live {
			r.done <- w.single(r)
		}
		return
	}
	for _, r := range live {
		r.done <- nil
	}
}

// single runs one request in its own transaction.
func (w *writer) single(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return w.withSync(r.durable, func() error { return runTx(context.Background(), w.db, r.fn) })
}

// errCallerFailed abandons a shared transaction because one of its callers failed.
var errCallerFailed = errors.New("a caller of the batch failed")

// group runs reqs in one transaction and commits them together. It is optimistic: callers
// rarely fail, so none gets a savepoint of its own (two statements more per caller). When one
// does fail, the whole transaction is rolled back and group reports errCallerFailed; the batch
// then runs again request by request, so the failing caller gets its own error and the others
// still commit. A caller's fn may run twice that way, as it already may on MySQL after a
// deadlock: fns write only through tx and set their results afresh on each run.
func (w *writer) group(reqs []*writeReq) error {
	durable := false
	for _, r := range reqs {
		durable = durable || r.durable
	}
	return w.withSync(durable, func() error {
		tx, err := w.db.BeginTx(context.Background(), nil)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		for _, r := range reqs {
			if err := r.fn(tx); err != nil {
				tx.Rollback()
				return errCallerFailed
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("database commit: %w", err)
		}
		return nil
	})
}

// withSync runs fn with the write connection at synchronous=FULL when durable (SQLite refuses
// to change it inside a transaction, so it brackets the whole transaction), else NORMAL.
func (w *writer) withSync(durable bool, fn func() error) error {
	if !durable {
		return fn()
	}
	ctx := context.Background()
	if _, err := w.db.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer w.db.ExecContext(ctx, `PRAGMA synchronous=NORMAL`)
	return fn()
}

// boundWAL restarts the WAL when it has grown past walHardLimit: the checkpointer's passive
// checkpoints could not catch up with back-to-back writes (checkpoint.go). It runs between two
// transactions on the write connection, so no writer of this process competes; the requests
// queued meanwhile wait for it, which is the back-pressure that bounds the file.
func (w *writer) boundWAL() {
	if walSize(w.walPath) <= walHardLimit {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkpointBudget)
	defer cancel()
	var busy, log, done int64
	// SQLite runs one checkpoint at a time and answers a second with "busy" at once: wait
	// for the checkpointer's.
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	_ = w.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &log, &done)
}
