package callback

import (
	"context"
	"sync"
	"time"
)

// DefaultReplayWindow is how long a stored push is remembered. WeChat retries within seconds;
// ten minutes also covers a retry after a slow answer and matches the ticket push cadence.
const DefaultReplayWindow = 10 * time.Minute

// maxReplays bounds the memory of the replay window. Only pushes that passed the signature
// check are remembered, so only WeChat (or whoever holds the Token) can fill it; real traffic
// is a few pushes per platform every ten minutes.
const maxReplays = 4096

// replays remembers the pushes stored recently, by platform and msg_signature.
type replays struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	seen  map[string]*replay
	order []string // keys by first sight, oldest first
}

type replay struct {
	at     time.Time
	stored bool          // the push was acted on and committed
	done   chan struct{} // closed once the first copy finished (stored or not)
}

func newReplays(window time.Duration, max int) *replays {
	return &replays{window: window, max: max, seen: map[string]*replay{}}
}

// claim decides who handles a push: first is true for the copy that must act on it (and then
// call finish); stored is true when an earlier copy already committed it. Copies arriving while
// the first is in flight wait for its outcome, and take over if it failed. Both false means
// ctx ended while waiting.
func (r *replays) claim(ctx context.Context, key string, now time.Time) (first, stored bool) {
	if r.window < 0 {
		return true, false
	}
	for {
		r.mu.Lock()
		r.expire(now)
		e, ok := r.seen[key]
		if !ok || (!e.stored && isClosed(e.done)) {
			if ok {
				r.drop(key)
			}
			r.seen[key] = &replay{at: now, done: make(chan struct{})}
			r.order = append(r.order, key)
			r.mu.Unlock()
			return true, false
		}
		if e.stored {
			r.mu.Unlock()
			return false, true
		}
		r.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return false, false
		}
	}
}

// finish records the outcome of the copy that claimed key.
func (r *replays) finish(key string, stored bool, now time.Time) {
	if r.window < 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.seen[key]
	if !ok {
		return
	}
	e.stored = stored
	if stored {
		e.at = now // the window runs from the commit
	}
	close(e.done)
}

// expire forgets entries past the window, and the oldest ones beyond max. In-flight entries
// are never dropped here, so a waiter always sees its first copy finish.
func (r *replays) expire(now time.Time) {
	n := 0
	for n < len(r.order) {
		e := r.seen[r.order[n]]
		old := e != nil && now.Sub(e.at) > r.window
		full := len(r.order)-n > r.max
		if e != nil && !old && !full {
			break
		}
		if e != nil && !isClosed(e.done) {
			break
		}
		delete(r.seen, r.order[n])
		n++
	}
	// Re-slicing is amortised O(1): append copies only the live keys when it grows the array.
	r.order = r.order[n:]
}

// drop forgets key (a failed attempt about to be retried).
func (r *replays) drop(key string) {
	delete(r.seen, key)
	for i, k := range r.order {
		if k == key {
			r.order = append(r.order[:i], r.order[i+1:]...)
			return
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// rejectBudget lets a few rejections per second be logged and reported; the rest are counted.
type rejectBudget struct {
	perSecond int

	mu         sync.Mutex
	second     time.Time
	used       int
	suppressed int
}

// rejectsLoggedPerSecond bounds the log lines and console events a flood can cause.
const rejectsLoggedPerSecond = 10

// allow reports whether this rejection may be reported, and how many were not reported since
// the last one that was.
func (b *rejectBudget) allow(now time.Time) (ok bool, suppressed int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sec := now.Truncate(time.Second); !sec.Equal(b.second) {
		b.second, b.used = sec, 0
	}
	if b.used >= b.perSecond {
		b.suppressed++
		return false, 0
	}
	b.used++
	suppressed, b.suppressed = b.suppressed, 0
	return true, suppressed
}
