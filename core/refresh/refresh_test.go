package refresh_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/refresh"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

func TestRenewAt(t *testing.T) {
	p := refresh.Policy{}.WithDefaults()
	cases := []struct {
		name           string
		life           time.Duration
		earliest, last time.Duration // renewal window, measured before expiry
	}{
		{"2 h token: 10 min margin plus up to 5 min jitter", 2 * time.Hour, 10 * time.Minute, 15 * time.Minute},
		{"5 min token: a fifth plus up to a tenth", 5 * time.Minute, time.Minute, 90 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spread := map[time.Time]bool{}
			for i := 0; i < 200; i++ {
				exp := t0.Add(tc.life)
				at := p.RenewAt("authorizer/wx"+string(rune('a'+i%26))+string(rune('a'+i/26)), t0, exp)
				if before := exp.Sub(at); before < tc.earliest || before > tc.last {
					t.Fatalf("renews %s before expiry, want %s..%s", before, tc.earliest, tc.last)
				}
				spread[at] = true
				// Deterministic: every process computes the same instant.
				if again := p.RenewAt("authorizer/wx"+string(rune('a'+i%26))+string(rune('a'+i/26)), t0, exp); !again.Equal(at) {
					t.Fatal("RenewAt is not deterministic")
				}
			}
			if len(spread) < 100 {
				t.Fatalf("jitter spreads 200 credentials over only %d instants", len(spread))
			}
		})
	}
	if !p.Due(t0, "k", time.Time{}, time.Time{}) {
		t.Error("a credential with no expiry must be due")
	}
	if p.Due(t0, "k", t0, t0.Add(2*time.Hour)) {
		t.Error("a fresh 2 h token must not be due")
	}
}

func TestRetryOnlyWhenRetryable(t *testing.T) {
	p := refresh.Policy{Attempts: 4, Backoff: time.Millisecond, MaxDelay: 2 * time.Millisecond}.WithDefaults()
	transient, permanent := errors.New("transient"), errors.New("permanent")
	retryable := func(err error) bool { return errors.Is(err, transient) }
	cases := []struct {
		name  string
		fails []error
		calls int
		err   error
	}{
		{"success at once", nil, 1, nil},
		{"transient then success", []error{transient, transient}, 3, nil},
		{"permanent: no retry", []error{permanent}, 1, permanent},
		{"transient forever: gives up", []error{transient, transient, transient, transient, transient}, 4, transient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := p.Retry(context.Background(), retryable, func(context.Context) error {
				calls++
				if calls <= len(tc.fails) {
					return tc.fails[calls-1]
				}
				return nil
			})
			if calls != tc.calls || !errors.Is(err, tc.err) {
				t.Fatalf("calls %d err %v, want %d %v", calls, err, tc.calls, tc.err)
			}
		})
	}
}

func TestForEachBoundsParallelism(t *testing.T) {
	var cur, peak, done atomic.Int64
	items := make([]int, 50)
	refresh.ForEach(context.Background(), 4, items, func(context.Context, int) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		cur.Add(-1)
		done.Add(1)
	})
	if done.Load() != 50 || peak.Load() > 4 {
		t.Fatalf("done %d, peak %d", done.Load(), peak.Load())
	}
}
