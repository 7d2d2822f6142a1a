package storage

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWALStaysBounded: under sustained writes from many callers (four times the hard limit's
// worth of data, with autocheckpoint off on every connection) the WAL file never grows much past
// the checkpointer's hard limit, and once writes stop it is truncated.
func TestWALStaysBounded(t *testing.T) {
	db, path := openInternal(t)
	ctx := context.Background()
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	var largest atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			if s := walSize(); s > largest.Load() {
				largest.Store(s)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	msg := strings.Repeat("x", 8<<10)
	const writers, total = 8, 4 * walHardLimit
	perWriter := total / len(msg) / writers
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range perWriter {
				if err := db.AppendEvent(ctx, Event{At: time.UnixMilli(1), Kind: "bulk", Level: "info", Message: msg}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	if got := countEvents(t, db, "bulk"); got != writers*perWriter {
		t.Fatalf("%d events, want %d", got, writers*perWriter)
	}
	t.Logf("the WAL peaked at %d bytes", largest.Load())
	// Bounded by size: the hard limit plus what can be written while one checkpoint runs.
	if max := largest.Load(); max > 2*walHardLimit {
		t.Errorf("the WAL reached %d bytes writing %d; want at most %d", max, total, 2*walHardLimit)
	}
	deadline := time.Now().Add(60 * time.Second)
	for walSize() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d bytes after writes stopped; want it truncated", walSize())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCheckpointDue: a passive checkpoint follows about a megabyte of appended pages, counted in
// commits or seen as the WAL file's growth, never the size of a file the WAL restarted inside.
func TestCheckpointDue(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name                    string
		commits, size, lastSize int64
		want                    bool
	}{
		{"a few commits into a restarted 4 MB file", 3, 4 * mb, 4 * mb, false},
		{"a few commits into a fresh WAL", 3, 64 << 10, 0, false},
		{"enough commits", checkpointCommits, 4 * mb, 4 * mb, true},
		{"a big transaction grew the file", 1, 5 * mb, 4 * mb, true},
		{"the first megabyte", 10, mb, 0, true},
	}
	for _, c := range cases {
		if got := checkpointDue(c.commits, c.size, c.lastSize); got != c.want {
			t.Errorf("%s: due = %v, want %v", c.name, got, c.want)
		}
	}
}
