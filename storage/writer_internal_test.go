package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openInternal(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// holdWriter occupies the writer with a transaction that waits for release, so that the
// requests submitted meanwhile queue and are committed together as one batch.
func holdWriter(t *testing.T, db *DB) (release func(), held <-chan error) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.tx(context.Background(), func(tx *sql.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() { close(gate) }, done
}

// waitQueued polls until n requests wait in the writer's queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(db.w.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", len(db.w.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func countEvents(t *testing.T, db *DB, kind string) int {
	t.Helper()
	var n int
	if err := db.queryRow(context.Background(), `SELECT COUNT(*) FROM events WHERE kind=?`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommitEachCallerOwnsItsResult: callers committed in one batch each get their own
// answer; a failing caller's writes are rolled back and nobody else's; every caller that got nil
// finds its write committed (visible on another connection) the moment it returns.
func TestGroupCommitEachCallerOwnsItsResult(t *testing.T) {
	db, _ := openInternal(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	const n = 40
	errs := make([]error, n)
	visible := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			msg := fmt.Sprintf("caller %d", i)
			errs[i] = db.tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO events (at, kind, level, message) VALUES (1, 'group', 'info', ?)`, msg); err != nil {
					return err
				}
				if i%3 == 0 {
					return fmt.Errorf("caller %d: %w", i, ErrConflict) // after writing: must be undone
				}
				return nil
			})
			if errs[i] == nil { // committed before answered: another connection sees it now
				var c int
				if err := db.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE message=?`, msg).Scan(&c); err != nil {
					t.Error(err)
				}
				visible[i] = c == 1
			}
		})
	}
	waitQueued(t, db, n)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, err := range errs {
		want := fmt.Sprintf("caller %d: %v", i, ErrConflict)
		switch {
		case i%3 == 0 && (err == nil || err.Error() != want || !errors.Is(err, ErrConflict)):
			t.Errorf("caller %d got %v, want its own error %q", i, err, want)
		case i%3 != 0 && err != nil:
			t.Errorf("caller %d got %v, want nil", i, err)
		case i%3 != 0 && !visible[i]:
			t.Errorf("caller %d was answered before its write was visible", i)
		}
		if i%3 == 0 {
			failed++
		}
	}
	if got := countEvents(t, db, "group"); got != n-failed {
		t.Errorf("%d rows committed, want %d (the failing callers' rows rolled back, nobody else's)", got, n-failed)
	}
}

// TestGroupCommitCancelledCaller: a caller whose context ends while queued gets its context's
// error and writes nothing; one whose statement is interrupted mid-batch (SQLite may then drop
// the whole transaction) does not cost the others their writes.
func TestGroupCommitCancelledCaller(t *testing.T) {
	db, _ := openInternal(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	queued, cancelQueued := context.WithCancel(ctx)
	midway, cancelMidway := context.WithCancel(ctx)
	insert := func(c context.Context, msg string, before func()) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			if before != nil {
				before()
			}
			_, err := tx.ExecContext(c, `INSERT INTO events (at, kind, level, message) VALUES (1, 'cancel', 'info', ?)`, msg)
			return err
		}
	}
	results := make(chan string, 8)
	submit := func(name string, c context.Context, before func()) {
		go func() {
			err := db.tx(c, insert(c, name, before))
			results <- fmt.Sprintf("%s:%v", name, err == nil)
		}()
	}
	submit("a", ctx, nil)
	submit("queued", queued, nil)
	submit("midway", midway, cancelMidway)
	submit("b", ctx, nil)
	waitQueued(t, db, 4)
	cancelQueued()
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 4 {
		name, ok := splitResult(<-results)
		got[name] = ok
	}
	if !got["a"] || !got["b"] || got["queued"] || got["midway"] {
		t.Errorf("results %v: want a and b committed, queued and midway failed", got)
	}
	if n := countEvents(t, db, "cancel"); n != 2 {
		t.Errorf("%d rows, want 2 (a and b)", n)
	}
}

func splitResult(r string) (string, bool) {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ':' {
			return r[:i], r[i+1:] == "true"
		}
	}
	return r, false
}

// TestCloseDrainsTheWriter: Close lets every write already submitted commit and answer, and a
// write after Close is refused with ErrClosed.
func TestCloseDrainsTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxauth.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	release, held := holdWriter(t, db)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.AppendEvent(ctx, Event{At: time.UnixMilli(1), Kind: "drain", Level: "info", Message: fmt.Sprint(i)})
		}()
	}
	waitQueued(t, db, n)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	// Close waits for the queue: it cannot finish while the held transaction blocks it.
	deadline := time.Now().Add(30 * time.Second)
	for !db.w.isClosed() {
		if time.Now().After(deadline) {
			t.Fatal("Close did not start")
		}
		time.Sleep(time.Millisecond)
	}
	if err := db.AppendEvent(ctx, Event{At: time.UnixMilli(1), Kind: "drain", Level: "info", Message: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("queued write: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := countEvents(t, db, "drain"); got != n {
		t.Errorf("%d rows after reopening, want %d", got, n)
	}
}

// TestGroupWithDurableWriteIsFull: a batch holding one durable write commits with
// synchronous=FULL, and the connection returns to NORMAL afterwards.
func TestGroupWithDurableWriteIsFull(t *testing.T) {
	db, _ := openInternal(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	levels := make(chan int, 2)
	level := func(tx *sql.Tx) error {
		var v int
		err := tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&v)
		levels <- v
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := db.tx(ctx, level); err != nil {
			t.Error(err)
		}
	})
	waitQueued(t, db, 1)
	wg.Go(func() {
		if err := db.durableTx(ctx, level); err != nil {
			t.Error(err)
		}
	})
	waitQueued(t, db, 2)
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if a, b := <-levels, <-levels; a != 2 || b != 2 {
		t.Errorf("synchronous in the batch = %d, %d; want 2 (FULL) for both", a, b)
	}
	var v int
	if err := db.wsql.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&v); err != nil || v != 1 {
		t.Errorf("synchronous after the batch = %d (%v), want 1 (NORMAL)", v, err)
	}
}

// TestCloseTwice: a second Close is harmless and says what the first said.
func TestCloseTwice(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
