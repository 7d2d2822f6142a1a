package storage

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever commit
// crosses 1000 WAL pages, so a request now and then paid for copying the WAL into the database
// (0.8–23 ms), and under many writers it never completed and the WAL grew without bound. Our
// connections turn it off (wal_autocheckpoint=0); this goroutine, on its own connection, copies
// the WAL back (PASSIVE: never waits for nor blocks anyone) shortly after commits once about a
// megabyte was appended since the last checkpoint (a few small commits wait for the idle
// truncate: fewer checkpoints), and truncates it (TRUNCATE) once writes pause. What was appended
// is counted, not read off the WAL file's size: after a passive checkpoint the WAL restarts
// from its beginning inside a file that keeps its size, so a size test would checkpoint every
// 100 ms for ever, each one two fsyncs beside the requests (seen as p99.9 outliers at 200/s). A passive checkpoint can copy everything and still never let the
// WAL restart under back-to-back writes (a restart needs a write transaction to begin while
// nothing is left to copy), so the writer itself, between two transactions, forces a restart
// when the WAL file passes walHardLimit (writer.boundWAL): the WAL stays bounded by size.
// journal_size_limit trims the file whenever the WAL restarts.

const (
	walSizeLimit    = 4 << 20  // journal_size_limit: the WAL file kept after a restart
	walHardLimit    = 16 << 20 // WAL file beyond which the writer forces a restart
	walCheckpointAt = 1 << 20  // WAL growth beyond its size at the last checkpoint that calls for one
	// checkpointCommits commits since the last checkpoint call for one: a commit appends a
	// few pages (a ticket push four), so this is about a megabyte.
	checkpointCommits = 64
	checkpointEvery   = 100 * time.Millisecond
	checkpointIdle    = time.Second // no commit for this long: truncate the WAL
	checkpointBudget  = 30 * time.Second
)

type checkpointer struct {
	db      *sql.DB     // its own connection: a checkpoint never occupies the writer's
	mu      *sync.Mutex // shared with the writer (writer.boundWAL)
	walPath string
	commits *atomic.Int64 // counted by the writer, taken by each checkpoint
	wake    <-chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// startCheckpointer runs checkpoints on a connection of its own opened with dsn; wake is told
// after each commit, which commits counts.
func startCheckpointer(dsn, walPath string, mu *sync.Mutex, commits *atomic.Int64, wake <-chan struct{}) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	c := &checkpointer{db: db, walPath: walPath, mu: mu, commits: commits, wake: wake, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) stop() {
	close(c.quit)
	<-c.done
	c.db.Close()
}

func (c *checkpointer) run() {
	defer close(c.done)
	idle := time.NewTimer(checkpointIdle)
	defer idle.Stop()
	var last time.Time
	var lastSize int64
	dirty := false
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
			dirty = true
			idle.Reset(checkpointIdle)
			if time.Since(last) < checkpointEvery {
				continue
			}
			size := walSize(c.walPath)
			if !checkpointDue(c.commits.Load(), size, lastSize) {
				continue
			}
			last, lastSize = time.Now(), size
			c.checkpoint("PASSIVE")
		case <-idle.C:
			if dirty {
				dirty = false
				c.checkpoint("TRUNCATE")
			}
		}
	}
}

// checkpointDue says whether commits since the last passive checkpoint, the WAL file's size now
// and at that checkpoint call for another: a file that keeps its size after a restart says
// nothing about what was appended since, so the commits are what count until it grows.
func checkpointDue(commits, size, lastSize int64) bool {
	return commits >= checkpointCommits || size >= lastSize+walCheckpointAt
}

// checkpoint runs one checkpoint in mode; a failure (another process's checkpoint, a busy
// reader) is left to the next round.
func (c *checkpointer) checkpoint(mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), checkpointBudget)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits.Store(0)
	var busy, log, done int64 // SQLite's three answers; only the WAL's size is used
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &log, &done); err != nil {
		return
	}
}

// walSize is the WAL file's size (0 when there is none).
func walSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
