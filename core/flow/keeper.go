package flow

// The keeper runs while the store is away or credentials are held: it writes the held ones in
// order as soon as the store answers (retrying with backoff, and at once when any other call
// finds the store back), then records the outage in the event log.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"wxauth/storage"
)

// Keeper timing: the first retry after keeperMin, doubling to keeperMax, so a store back after
// an outage is caught up within keeperMax; each attempt gives up after keeperCall.
const (
	keeperMin  = 250 * time.Millisecond
	keeperMax  = 5 * time.Second
	keeperCall = 10 * time.Second
	// heldDeadline is how long Close keeps trying to write held credentials.
	heldDeadline = 15 * time.Second
	// givenOnceDeadline is how long Close keeps trying when what is held is a grant or a
	// recovered refresh token, which WeChat does not give again (a database restart takes
	// longer than 15 s on a busy host).
	givenOnceDeadline = time.Minute
)

// startKeeper starts the keeper unless one runs.
func (e *Engine) startKeeper() {
	e.held.mu.Lock()
	if e.held.running {
		e.held.mu.Unlock()
		return
	}
	e.held.running = true
	e.held.written = 0
	e.held.mu.Unlock()
	e.keepers.Add(1)
	go func() {
		defer e.keepers.Done()
		e.keep()
	}()
}

// keep writes the held credentials and waits out the outage, then records it and stops.
func (e *Engine) keep() {
	since, _ := e.watch.state()
	wait := keeperMin
	for {
		if since.IsZero() {
			since, _ = e.watch.state()
		}
		err := e.flushHeld()
		if err == nil {
			err = e.recordOutage(since)
		}
		if err == nil && e.stopKeeper() {
			return
		}
		if err == nil {
			wait = keeperMin // a credential was held meanwhile
		}
		t := time.NewTimer(wait)
		select {
		case <-e.closing:
			t.Stop()
			return
		case <-e.watch.wake:
		case <-t.C:
		}
		t.Stop()
		wait = min(2*wait, keeperMax)
	}
}

// stopKeeper ends the keeper when nothing is held and the store answers.
func (e *Engine) stopKeeper() bool {
	e.held.mu.Lock()
	defer e.held.mu.Unlock()
	if len(e.held.items) > 0 || !e.watch.ok.Load() {
		return false
	}
	e.held.running = false
	return true
}

// recordOutage writes the outage that began at since (if one did) to the event log: a write,
// so it also proves the store takes writes again.
func (e *Engine) recordOutage(since time.Time) error {
	if since.IsZero() {
		return nil
	}
	now := e.clock.Now()
	e.held.mu.Lock()
	written := e.held.written
	e.held.mu.Unlock()
	ev := Event{At: now, Kind: EventStoreBack, Level: LevelWarn,
		Message: fmt.Sprintf("store reachable again: it was unreachable from %s for %s; %d held credential(s) written",
			since.Format(time.DateTime), now.Sub(since).Round(time.Second), written)}
	ctx, cancel := context.WithTimeout(context.Background(), keeperCall)
	defer cancel()
	ps, err := e.db.Platforms(ctx)
	if err != nil {
		return err
	}
	ids := []string{""} // no platform yet: the log's platform-less part
	if len(ps) > 0 {
		ids = ids[:0]
		for _, p := range ps {
			ids = append(ids, p.ComponentAppID)
		}
	}
	for _, id := range ids { // each platform's status shows it
		ev.ComponentAppID = id
		if err := e.db.AppendEvent(ctx, storage.Event{At: ev.At, ComponentAppID: id, Kind: string(ev.Kind), Level: ev.Level, Message: ev.Message}); err != nil {
			return err
		}
	}
	e.notify(ctx, ev)
	select { // what fell due during the outage is renewed now, not at the next tick
	case e.kick <- struct{}{}:
	default:
	}
	return nil
}

// flushHeld writes the held credentials oldest first, stopping at the first the store does not
// take.
func (e *Engine) flushHeld() error {
	for {
		it := e.held.first()
		if it == nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), keeperCall)
		msg, err := e.writeHeld(ctx, it)
		if err != nil {
			cancel()
			e.held.failed(it, err)
			return err
		}
		e.held.done(it)
		e.emit(ctx, Event{Kind: EventCredentialSaved, Level: LevelWarn, ComponentAppID: it.componentAppID, AuthorizerAppID: it.appid,
			Message: strings.ToUpper(it.String()[:1]) + it.String()[1:] + ", held in memory while the store was unreachable: " + msg})
		cancel()
	}
}

// writeHeld writes one held credential unless the store already has it or something newer
// from WeChat; it says what it did. An error is the store's: the item stays held.
func (e *Engine) writeHeld(ctx context.Context, it *heldItem) (string, error) {
	cur, err := e.db.Authorizer(ctx, it.componentAppID, it.appid)
	switch {
	case errors.Is(err, storage.ErrNotFound) && it.kind == heldGrant:
	case errors.Is(err, storage.ErrNotFound):
		e.log.Error("held credential dropped: its account was removed meanwhile", "authorizer_appid", it.appid, "what", it.kind)
		return "dropped: the account was removed from this platform meanwhile", nil
	case err != nil:
		return "", err
	}
	switch it.kind {
	case heldGrant:
		return e.writeHeldGrant(ctx, it, cur, err == nil)
	case heldRecovered:
		return e.writeHeldRecovered(ctx, it, cur)
	default:
		return e.writeHeldToken(ctx, it, cur)
	}
}

func (e *Engine) writeHeldGrant(ctx context.Context, it *heldItem, cur storage.Authorizer, stored bool) (string, error) {
	g := it.grant
	switch {
	case stored && cur.RefreshToken == g.RefreshToken && (g.AccessToken == "" || cur.AccessToken == g.AccessToken):
		// The failed write had committed after all (its answer was lost).
	case stored && (cur.AuthorizedAt.After(g.At) || cur.AccessObtainedAt.After(g.At)):
		// Another process stored a later grant or token from WeChat meanwhile.
		e.finishHeldSession(ctx, it)
		return "a newer grant or token from WeChat was stored meanwhile; kept that one", nil
	default:
		if _, err := e.db.SaveGrant(ctx, g); err != nil {
			return "", err
		}
	}
	e.finishHeldSession(ctx, it)
	return "stored", nil
}

// finishHeldSession finishes the session whose exchange gave a held grant, and fetches the
// account's info the exchange could not.
func (e *Engine) finishHeldSession(ctx context.Context, it *heldItem) {
	if it.sessionID == "" {
		return
	}
	if err := e.finishSession(ctx, it.sessionID, it.appid, ""); err != nil {
		e.log.Warn("finishing the session of a held grant", "err", err)
	}
	if p, err := e.loadPlatform(ctx, it.componentAppID); err == nil {
		e.fetchInfo(ctx, p, it.appid, false)
	}
	e.emit(ctx, Event{Kind: EventAuthorized, ComponentAppID: it.componentAppID, AuthorizerAppID: it.appid,
		Message: it.appid + " authorized (the grant was held in memory while the store was unreachable)"})
}

func (e *Engine) writeHeldRecovered(ctx context.Context, it *heldItem, cur storage.Authorizer) (string, error) {
	if cur.RefreshToken == it.refreshToken {
		return "already stored", nil
	}
	if newer, err := e.newerRefreshToken(ctx, it, cur); err != nil || newer {
		return "a newer refresh token from WeChat was stored meanwhile; kept that one", err
	}
	if err := e.db.RecoverRefreshToken(ctx, it.componentAppID, it.appid, it.refreshToken, it.at); err != nil {
		return "", err
	}
	return "stored", nil
}

// newerRefreshToken reports whether the stored refresh token came from WeChat after the held
// one.
func (e *Engine) newerRefreshToken(ctx context.Context, it *heldItem, cur storage.Authorizer) (bool, error) {
	recs, err := e.db.RefreshTokens(ctx, it.componentAppID)
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if r.AppID == it.appid && r.Token == cur.RefreshToken {
			return r.FirstSeenAt.After(it.at), nil
		}
	}
	return false, nil
}

func (e *Engine) writeHeldToken(ctx context.Context, it *heldItem, cur storage.Authorizer) (string, error) {
	switch {
	case cur.AccessToken == it.access:
		return "already stored", nil
	case cur.AccessObtainedAt.After(it.obtained):
		return "a newer token from WeChat was stored meanwhile; kept that one", nil
	}
	if err := e.db.SwapAuthorizerToken(ctx, it.componentAppID, it.appid, cur.AccessVersion, it.access,
		it.obtained, it.expires, it.refreshToken); err != nil {
		return "", err // a conflict too: read again on the next round
	}
	return "stored", nil
}

// settleHeld runs at Close: credentials still held are named in the log, and written if the
// store answers within the deadline.
func (e *Engine) settleHeld(deadline time.Duration) {
	defer e.closeOnce.Do(func() { close(e.closing) })
	if e.held.len() == 0 {
		return
	}
	if e.held.givenOnce() {
		deadline = max(deadline, e.givenOnceDeadline)
	}
	e.watch.log.Error("shutting down with credentials not yet stored; trying until the deadline", "deadline", deadline,
		"held", strings.Join(e.held.names(), "; "))
	end := time.Now().Add(deadline)
	for e.held.len() > 0 && time.Now().Before(end) {
		select {
		case e.watch.wake <- struct{}{}: // retry now
		default:
		}
		time.Sleep(keeperMin)
	}
	if e.held.len() == 0 {
		e.watch.log.Info("held credentials stored before shutdown")
		return
	}
	e.watch.log.Error("credentials lost at shutdown: the store did not answer; recover them from WeChat once it is back with `wxauth import` (api_get_authorizer_list lists every authorized account with its refresh token)",
		"unsaved", strings.Join(e.held.names(), "; "))
	e.held.mu.Lock()
	e.held.items = nil // reported lost: a second Close does not report them again
	e.held.mu.Unlock()
}

// quietHandler drops log records about a store outage already reported, so that an outage is
// logged once (by the watch) and not by every tick of the refresher, the feed and the lease.
type quietHandler struct {
	slog.Handler
	w *storeWatch
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	quiet := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && h.w.quiet(err) {
			quiet = true
		}
		return !quiet
	})
	if quiet {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{Handler: h.Handler.WithAttrs(as), w: h.w}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{Handler: h.Handler.WithGroup(name), w: h.w}
}
