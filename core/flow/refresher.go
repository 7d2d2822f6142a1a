package flow

// The background refresher: passes over every platform renew what is due under the lease.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"wxauth/core/refresh"
	"wxauth/storage"
)

// RefreshReport says what one refresher pass did.
type RefreshReport struct {
	Leader           bool // this process holds the lease
	ComponentRenewed bool
	Refreshed        int
	Failed           int
	LeaseLost        bool // another process took the lease during the pass; it does the rest
}

// RefreshDue is one pass of the refresher for a platform: if this process holds (or takes) the
// lease, renew whatever is due. Other processes return at once with Leader false.
func (e *Engine) RefreshDue(ctx context.Context, componentAppID string) (RefreshReport, error) {
	var rep RefreshReport
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return rep, err
	}
	e.checkTicketFreshness(ctx, p)
	lock := e.platformLock(p.ComponentAppID)
	lock.Lock()
	defer lock.Unlock()
	ok, err := e.acquireLease(ctx, p.ComponentAppID)
	if err != nil || !ok {
		return rep, err
	}
	rep.Leader = true
	// A pass over thousands of authorizers against a slow WeChat outlives the lease TTL: keep
	// renewing it, or another process takes over half-way and refreshes the same authorizers
	// again (each extra mint cuts the stored token's life to WeChat's 5-minute overlap).
	lost, stop := e.keepLease(ctx, p.ComponentAppID)
	defer stop()
	e.mu.Lock()
	e.leading[p.ComponentAppID] = true
	e.mu.Unlock()
	e.resumeExchanges(ctx, p)
	if b, paused := e.pausedUntil(p.ComponentAppID); paused {
		e.log.Info("refresher paused", "component_appid", p.ComponentAppID, "code", b.code, "until", b.until)
		return rep, nil
	}
	now := e.clock.Now()
	if rep.ComponentRenewed, err = e.renewComponentIfDue(ctx, p, now); err != nil {
		return rep, err
	}
	due, err := e.dueAuthorizers(ctx, p, now)
	if err != nil || len(due) == 0 {
		return rep, err
	}
	tok, err := e.validComponentToken(ctx, p)
	if err != nil {
		return rep, err
	}
	pctx, ps := withPass(ctx, p.ComponentAppID, tok)
	rep.Refreshed, rep.Failed = e.refreshEach(pctx, p, due, lost)
	e.flushPass(ctx, ps)
	rep.LeaseLost = lost()
	return rep, nil
}

// renewComponentIfDue mints the component token when the policy says it is due (or there is
// none) and a ticket is there to mint it with.
func (e *Engine) renewComponentIfDue(ctx context.Context, p Platform, now time.Time) (bool, error) {
	tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return false, err
	case !e.policy.Due(now, "component/"+p.ComponentAppID, tok.ObtainedAt, tok.ExpiresAt):
		return false, nil
	}
	if _, err := e.loadTicket(ctx, p.ComponentAppID); err != nil {
		return false, nil // nothing to mint with yet: the state says AwaitTicket
	}
	_, err = e.mintComponentToken(ctx, p, tok.version)
	return err == nil, err
}

// dueAuthorizers lists the accounts whose token the policy says to renew now. Accounts only
// their merchant can fix are skipped, and a failing one rests a minute between passes.
func (e *Engine) dueAuthorizers(ctx context.Context, p Platform, now time.Time) ([]Authorizer, error) {
	list, err := e.loadAuthorizers(ctx, p.ComponentAppID)
	if err != nil {
		return nil, err
	}
	var due []Authorizer
	for _, a := range list {
		switch {
		case a.Status == AuthorizerRevoked || a.Status == AuthorizerNeedsReauth || a.Status == AuthorizerNoToken:
		case a.Status == AuthorizerError && now.Sub(a.LastErrorAt) < time.Minute:
		case e.policy.Due(now, "authorizer/"+a.AppID, a.AccessObtainedAt, a.AccessExpiresAt):
			due = append(due, a)
		}
	}
	return due, nil
}

// refreshEach refreshes the due accounts in parallel, stopping early when the lease is lost
// (the new holder does the rest) or a platform-wide error paused the platform.
func (e *Engine) refreshEach(ctx context.Context, p Platform, due []Authorizer, lost func() bool) (refreshed, failed int) {
	var ok, bad atomic.Int64
	refresh.ForEach(ctx, e.policy.Parallel, due, func(ctx context.Context, a Authorizer) {
		if lost() {
			return
		}
		if _, paused := e.pausedUntil(p.ComponentAppID); paused {
			bad.Add(1) // a platform-wide error hit an earlier authorizer of this pass
			return
		}
		if err := e.refreshAuthorizer(ctx, p, a); err != nil {
			bad.Add(1)
		} else {
			ok.Add(1)
		}
	})
	return int(ok.Load()), int(bad.Load())
}

// resumeExchanges retries the exchanges that stopped processes left half done: claimed by a
// process of this host that no longer runs (at once: `serve` killed mid-exchange), or claimed
// longer ago than any exchange takes. The code was committed when it arrived, so nothing the
// merchant did is lost.
func (e *Engine) resumeExchanges(ctx context.Context, p Platform) {
	before := time.Now().Add(-e.exchangeTimeout - e.exchangeTimeout/4)
	exchanging, err := e.loadSessions(e.db.Exchanges(ctx, p.ComponentAppID))
	if err != nil {
		e.log.Warn("listing interrupted exchanges", "err", err)
		return
	}
	for _, s := range exchanging {
		abandoned := s.claimedAt.Before(before) || (s.claimedBy != e.holder && e.deadHolder(s.claimedBy))
		if !abandoned || e.held.session(s.ID) { // a held grant: only its write is missing (keeper.go)
			continue
		}
		if ok, err := e.db.RetryExchange(ctx, s.ID, s.claimedAt, e.holder); err != nil || !ok {
			continue
		}
		e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: p.ComponentAppID,
			Message: "resuming an authorization-code exchange interrupted by a stopped process"})
		s.mayBeUsed = true
		if _, err := e.exchange(ctx, s, true); err != nil { // RefreshDue holds the lease
			e.log.Warn("resumed exchange failed", "err", err)
		}
	}
}

// checkTicketFreshness warns (once per stale spell) when no push arrived for 20 minutes.
func (e *Engine) checkTicketFreshness(ctx context.Context, p Platform) {
	last, err := e.db.LastTicketReceivedAt(ctx, p.ComponentAppID)
	if err != nil || last.IsZero() {
		return
	}
	now := e.clock.Now()
	if now.Sub(last) < TicketStaleSpan {
		return
	}
	e.mu.Lock()
	already := e.warned[p.ComponentAppID] == last
	e.warned[p.ComponentAppID] = last
	e.mu.Unlock()
	if already {
		return
	}
	e.emit(ctx, Event{Kind: EventTicketStale, Level: LevelWarn, ComponentAppID: p.ComponentAppID,
		Message: fmt.Sprintf("no ticket push for %s (WeChat pushes every 10 minutes)", now.Sub(last).Round(time.Minute)),
		Remedy:  "check that " + p.PublicURL + "/wechat/events is reachable and answers `success`; ask for a push with `wxauth ticket push` (api_start_push_ticket)"})
}

// RunRefresher runs refresher passes for every platform every interval (and at once when a
// first ticket arrives) until ctx ends. Any number of processes may run it: the database lease
// makes exactly one of them the refresher per platform; the others take over if it stops.
// It returns early, with the error that says what to do, when the database is damaged: every
// later pass would fail the same way.
func (e *Engine) RunRefresher(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 15 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	renewals := time.NewTicker(renewalPoll)
	defer renewals.Stop()
	for {
		if err := e.refreshAll(ctx); err != nil {
			e.log.Error("refresher stopped: the database cannot be used", "err", err)
			return err
		}
		if !e.untilNextPass(ctx, t.C, renewals.C) {
			return nil
		}
	}
}

// untilNextPass answers other processes' renewal requests until the next pass is due (or a
// first ticket kicks it); false when ctx ended.
func (e *Engine) untilNextPass(ctx context.Context, pass, renewals <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-renewals:
			e.serveRenewals(ctx)
		case <-pass:
			return true
		case <-e.kick:
			return true
		}
	}
}

// refreshAll is one pass over every platform; it returns only an error that damns the
// database (DatabaseUnusable: damaged, or its key rotated away), and logs the others, which
// the next pass may not meet.
func (e *Engine) refreshAll(ctx context.Context) error {
	if err := e.LoadCrypters(ctx); err != nil {
		if DatabaseUnusable(err) {
			return err
		}
		e.log.Error("reloading platforms", "err", err)
	}
	ps, err := e.db.Platforms(ctx)
	if err != nil {
		if DatabaseUnusable(err) {
			return err
		}
		e.log.Error("listing platforms", "err", err)
		return nil
	}
	for _, p := range ps {
		if _, err := e.RefreshDue(ctx, p.ComponentAppID); err != nil && ctx.Err() == nil {
			if DatabaseUnusable(err) {
				return err
			}
			e.log.Warn("refresh pass", "component_appid", p.ComponentAppID, "err", err)
		}
	}
	return nil
}
