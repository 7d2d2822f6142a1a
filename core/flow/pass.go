package flow

import (
	"context"
	"sync"
	"time"

	"wxauth/storage"
)

// A refresher pass over thousands of authorizers used to read the component token from the
// database once per authorizer, and to write a call counter and an event one statement at a
// time per authorizer (together a quarter of the pass's CPU). The pass now carries, in its
// context, the component token it read once (a token WeChat rejects mid-pass is replaced under
// the lease the pass holds and the replacement shared) and a batch of its counters and events,
// written in one transaction every passFlushEvery events and when the pass ends. What a crash
// mid-pass can lose is therefore only audit: call counts and log lines of the unflushed part;
// every token the pass obtained is committed before it is used, as before.

const passFlushEvery = 512

type passKey struct{}

// pass is one refresher pass over one platform.
type pass struct {
	componentAppID string
	mu             sync.Mutex
	tok            ComponentToken
	calls          map[string]map[string]int // quota day → api → calls
	days           map[string]time.Time      // quota day → a time in it
	events         []storage.Event
}

func withPass(ctx context.Context, componentAppID string, tok ComponentToken) (context.Context, *pass) {
	ps := &pass{componentAppID: componentAppID, tok: tok, calls: map[string]map[string]int{}, days: map[string]time.Time{}}
	return context.WithValue(ctx, passKey{}, ps), ps
}

func passOf(ctx context.Context, componentAppID string) *pass {
	ps, ok := ctx.Value(passKey{}).(*pass)
	if !ok || ps.componentAppID != componentAppID {
		return nil
	}
	return ps
}

// passTokenOf is the pass's token for componentAppID when ctx carries one that still lasts.
func (e *Engine) passTokenOf(ctx context.Context, componentAppID string) (ComponentToken, bool) {
	ps := passOf(ctx, componentAppID)
	if ps == nil {
		return ComponentToken{}, false
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.tok, lastsEnough(e.clock.Now(), ps.tok.ObtainedAt, ps.tok.ExpiresAt)
}

// setPassToken shares a replacement token with the rest of the pass.
func setPassToken(ctx context.Context, componentAppID string, tok ComponentToken) {
	if ps := passOf(ctx, componentAppID); ps != nil {
		ps.mu.Lock()
		ps.tok = tok
		ps.mu.Unlock()
	}
}

// countInPass adds a call to the pass's batch; false when ctx carries no pass for the platform.
func countInPass(ctx context.Context, componentAppID, api string, at time.Time) bool {
	ps := passOf(ctx, componentAppID)
	if ps == nil {
		return false
	}
	day := storage.QuotaDay(at)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.calls[day] == nil {
		ps.calls[day], ps.days[day] = map[string]int{}, at
	}
	ps.calls[day][api]++
	return true
}

// logInPass adds an event to the pass's batch (flushing a full one); false when ctx carries no
// pass for the event's platform.
func (e *Engine) logInPass(ctx context.Context, ev storage.Event) bool {
	ps := passOf(ctx, ev.ComponentAppID)
	if ps == nil {
		return false
	}
	ps.mu.Lock()
	ps.events = append(ps.events, ev)
	full := len(ps.events) >= passFlushEvery
	ps.mu.Unlock()
	if full {
		e.flushPass(ctx, ps)
	}
	return true
}

// flushPass writes the pass's batched counters and events (a failure is logged: they are
// audit, never a token).
func (e *Engine) flushPass(ctx context.Context, ps *pass) {
	ctx = context.WithoutCancel(ctx)
	ps.mu.Lock()
	calls, days, events := ps.calls, ps.days, ps.events
	ps.calls, ps.days, ps.events = map[string]map[string]int{}, map[string]time.Time{}, nil
	ps.mu.Unlock()
	for day, n := range calls {
		if err := e.db.CountCalls(ctx, ps.componentAppID, days[day], n); err != nil {
			e.log.Warn("counting API calls failed", "err", err)
		}
	}
	if err := e.db.AppendEvents(ctx, events); err != nil {
		e.log.Error("event log append failed", "err", err)
	}
}
