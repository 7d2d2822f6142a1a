// Package refresh decides when credentials are renewed and how failures are retried: a margin
// ahead of expiry with per-credential jitter, exponential backoff with jitter for failures that
// retrying can fix, and a bounded worker pool for refreshing many authorizers at once.
//
// It holds no state of its own and calls nothing remote: the engine (core/flow) supplies the work.
package refresh

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// Policy is the refresh schedule.
type Policy struct {
	Margin   time.Duration // renew this long before expiry (default 10 min)
	Jitter   time.Duration // plus up to this much earlier, spread per credential (default 5 min)
	Parallel int           // authorizers refreshed at once (default 8)
	Attempts int           // tries for a retryable failure (default 3)
	Backoff  time.Duration // first retry delay, doubled each time (default 500 ms)
	MaxDelay time.Duration // cap on one retry delay (default 10 s)
}

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.Margin == 0 {
		p.Margin = 10 * time.Minute
	}
	if p.Jitter == 0 {
		p.Jitter = 5 * time.Minute
	}
	if p.Parallel <= 0 {
		p.Parallel = 8
	}
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Backoff == 0 {
		p.Backoff = 500 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 10 * time.Second
	}
	return p
}

// RenewAt is when a credential obtained at obtainedAt and expiring at expiresAt should be
// renewed: Margin before expiry, plus up to Jitter earlier. For short-lived credentials both
// shrink to a fifth and a tenth of the lifetime, so a 5-minute token is not renewed in a loop.
// The jitter is derived from key and expiresAt, so every process and every pass computes the
// same instant (no herd of 10,000 authorizers renewing in the same second, no flapping).
func (p Policy) RenewAt(key string, obtainedAt, expiresAt time.Time) time.Time {
	margin, jitter := p.Margin, p.Jitter
	if life := expiresAt.Sub(obtainedAt); !obtainedAt.IsZero() && life > 0 {
		margin = min(margin, life/5)
		jitter = min(jitter, life/10)
	}
	at := expiresAt.Add(-margin)
	if jitter > 0 {
		h := fnv.New64a()
		h.Write([]byte(key))
		h.Write([]byte(expiresAt.UTC().Format(time.RFC3339Nano)))
		at = at.Add(-time.Duration(h.Sum64() % uint64(jitter)))
	}
	return at
}

// Due reports whether a credential must be renewed now. A zero expiry is always due.
func (p Policy) Due(now time.Time, key string, obtainedAt, expiresAt time.Time) bool {
	return expiresAt.IsZero() || !now.Before(p.RenewAt(key, obtainedAt, expiresAt))
}

// Retry runs fn up to p.Attempts times while retryable(err) says another try can help, sleeping
// an exponentially growing, jittered delay in between. It never loops on errors retrying cannot
// fix (IP not whitelisted, invalid appid or secret, quota exhausted…): retryable decides.
func (p Policy) Retry(ctx context.Context, retryable func(error) bool, fn func(ctx context.Context) error) error {
	var err error
	delay := p.Backoff
	for attempt := 1; ; attempt++ {
		if err = fn(ctx); err == nil || attempt >= p.Attempts || !retryable(err) {
			return err
		}
		// Full jitter: sleep a random duration in [delay/2, delay).
		d := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		if delay *= 2; delay > p.MaxDelay {
			delay = p.MaxDelay
		}
	}
}

// ForEach calls fn for every item with at most p.Parallel calls at once and waits for all.
func ForEach[T any](ctx context.Context, parallel int, items []T, fn func(context.Context, T)) {
	if parallel <= 0 {
		parallel = 1
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, it)
		}()
	}
	wg.Wait()
}
