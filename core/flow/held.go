package flow

// Credentials WeChat hands out once (the grant of an authorization code, a refresh token found
// in api_get_authorizer_list) are held in memory when the store does not answer (a database
// restart, a network partition), and written as soon as it answers again: never dropped
// because the database blinked. Tokens WeChat mints again on request (access tokens) are not
// held: the next refresh pass gets fresh ones.

import (
	"context"
	"errors"
	"sync"
	"time"

	"wxauth/storage"
)

// heldCloseWait is how long Close keeps trying to write held credentials before giving up.
const heldCloseWait = 60 * time.Second

// heldWrite is one credential waiting for the store.
type heldWrite struct {
	what           string // names it without its secret, for the log and the console
	componentAppID string
	appid          string
	write          func(ctx context.Context) error
}

// heldQueue is the engine's held credentials and its flusher.
type heldQueue struct {
	mu      sync.Mutex
	writes  []heldWrite
	running bool
	stop    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
}

// storeUnreachable reports whether err says the store did not answer (nothing was written).
func storeUnreachable(err error) bool { return errors.Is(err, storage.ErrUnreachable) }

// hold keeps w until the store answers, starting the flusher if it is not running.
func (e *Engine) hold(ctx context.Context, w heldWrite) {
	e.held.mu.Lock()
	e.held.writes = append(e.held.writes, w)
	start := !e.held.running
	e.held.running = true
	e.held.mu.Unlock()
	e.notify(ctx, Event{Kind: EventStoreUnreachable, Level: LevelWarn, ComponentAppID: w.componentAppID, AuthorizerAppID: w.appid,
		Message: w.what + " is held in memory: the store is unreachable; it is written as soon as the store answers"})
	if start {
		e.held.wg.Add(1)
		go e.flushLoop()
	}
}

// flushLoop writes the held credentials, retrying with backoff (1 s, doubling to 15 s) until
// none is left or the engine closes.
func (e *Engine) flushLoop() {
	defer e.held.wg.Done()
	delay := time.Second
	for {
		select {
		case <-e.held.stop:
			return
		case <-time.After(delay):
		}
		if e.flushHeld(context.Background()) == 0 {
			return
		}
		delay = min(delay*2, 15*time.Second)
	}
}

// flushHeld writes the held credentials in order, stopping at the first the store does not
// take for want of an answer; it returns how many are still held.
func (e *Engine) flushHeld(ctx context.Context) int {
	e.held.mu.Lock()
	ws := e.held.writes
	e.held.writes = nil
	e.held.mu.Unlock()
	var left []heldWrite
	for i, w := range ws {
		err := w.write(ctx)
		if storeUnreachable(err) {
			left = ws[i:]
			break
		}
		if err != nil { // the store answered and refused: retrying cannot help
			e.emit(ctx, errorEvent(EventError, w.componentAppID, w.appid, "writing "+w.what+" held while the store was unreachable", err))
			continue
		}
		e.emit(ctx, Event{Kind: EventStoreUnreachable, ComponentAppID: w.componentAppID, AuthorizerAppID: w.appid,
			Message: w.what + " written: the store answers again"})
	}
	e.held.mu.Lock()
	defer e.held.mu.Unlock()
	e.held.writes = append(left, e.held.writes...)
	if len(e.held.writes) == 0 {
		e.held.running = false
	}
	return len(e.held.writes)
}

// closeHeld stops the flusher and tries, for heldCloseWait at most, to write what is still held;
// whatever is left is logged by name (the process is ending and takes it along).
func (e *Engine) closeHeld() {
	e.held.closing.Do(func() { close(e.held.stop) })
	e.held.wg.Wait()
	deadline := time.Now().Add(heldCloseWait)
	for {
		e.held.mu.Lock()
		n := len(e.held.writes)
		e.held.mu.Unlock()
		if n == 0 || e.flushHeld(context.Background()) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	e.held.mu.Lock()
	defer e.held.mu.Unlock()
	for _, w := range e.held.writes {
		e.log.Error("credential lost: the store stayed unreachable until this process stopped", "what", w.what,
			"component_appid", w.componentAppID, "authorizer_appid", w.appid)
	}
}

// HeldCredentials names the credentials waiting for the store to answer (none while it does).
func (e *Engine) HeldCredentials() []string {
	e.held.mu.Lock()
	defer e.held.mu.Unlock()
	out := make([]string, len(e.held.writes))
	for i, w := range e.held.writes {
		out[i] = w.what
	}
	return out
}

// StoreUnreachableSince is when the store stopped answering, zero while it answers.
func (e *Engine) StoreUnreachableSince() time.Time {
	if s, ok := e.db.(interface{ UnreachableSince() time.Time }); ok {
		return s.UnreachableSince()
	}
	return time.Time{}
}

// StoreUnreachable reports whether err says the store did not answer, and since when.
func StoreUnreachable(err error) (since time.Time, ok bool) {
	var ue *storage.UnreachableError
	if errors.As(err, &ue) {
		return ue.Since, true
	}
	return time.Time{}, false
}
