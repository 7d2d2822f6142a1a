package flow

// The refresh lease: one process per platform refreshes its credentials (WeChat keeps an old
// token only 5 minutes after a new one is minted, so two refreshers clobber each other). The
// lease lives in the store; holder.go tells a dead holder of this host from a live one.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"wxauth/storage"
)

func leaseName(componentAppID string) string { return "refresh/" + componentAppID }

// Renewal targets: the component token, or an authorizer's appid.
const targetComponent = "component"

// leaseWait is how long a caller waits for another holder before giving up.
const leaseWait = 30 * time.Second

// underLease runs fn holding the platform's refresh lease. When another process holds it, the
// request goes through the store to that holder (a renewal request for target), and this waits
// for its answer, for done to report the work done, or for the lease to come free; whichever
// comes first.
func (e *Engine) underLease(ctx context.Context, componentAppID, target string, fn func(context.Context) error, done func(context.Context) (bool, error)) error {
	lock := e.platformLock(componentAppID)
	lock.Lock()
	defer lock.Unlock()
	deadline := time.Now().Add(leaseWait)
	var asked int64 // our renewal request, once filed
	for {
		ok, err := e.acquireLease(ctx, componentAppID)
		if err != nil {
			return fmt.Errorf("taking the refresh lease: %w", err)
		}
		if ok {
			err := e.holdingLease(ctx, componentAppID, fn)
			if asked != 0 { // we did the work ourselves: the request is answered
				e.finishRenewal(ctx, asked, err)
			}
			return err
		}
		if finished, err := done(ctx); err != nil || finished {
			return err
		}
		if asked == 0 {
			if asked, err = e.db.RequestRenewal(ctx, componentAppID, target, e.clock.Now()); err != nil {
				return fmt.Errorf("asking the lease holder to renew: %w", err)
			}
		} else if answered, err := e.renewalAnswer(ctx, asked); answered || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			holder, until, _ := e.db.LeaseHolder(ctx, leaseName(componentAppID))
			return &UserError{Msg: fmt.Sprintf("another wxauth process (%s) holds the refresh lease until %s and did not answer the renewal request in %s", holder, until.Format(time.RFC3339), leaseWait),
				Remedy: "check that process (`wxauth status`, its log), or stop it so the lease is handed over"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// holdingLease runs fn under the lease we just took, keeping it alive, and hands a one-shot
// lease back at once (`wxauth token`, a console action); the background refresher keeps it
// between its passes.
func (e *Engine) holdingLease(ctx context.Context, componentAppID string, fn func(context.Context) error) error {
	_, stop := e.keepLease(ctx, componentAppID)
	err := fn(ctx)
	stop()
	e.mu.Lock()
	leading := e.leading[componentAppID]
	e.mu.Unlock()
	if !leading {
		if rerr := e.db.ReleaseLease(context.WithoutCancel(ctx), leaseName(componentAppID), e.holder); rerr != nil {
			e.log.Warn("releasing the refresh lease", "err", rerr)
		}
	}
	return err
}

// keepLease renews the platform's lease every third of its TTL until stop is called. lost
// reports that another process holds the lease now (ours expired, e.g. the database was
// unreachable for a whole TTL): the caller must not start more work under it. Work already
// started finishes; the compare-and-swap of each token keeps a late writer from clobbering.
func (e *Engine) keepLease(ctx context.Context, componentAppID string) (lost func() bool, stop func()) {
	var gone atomic.Bool
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(e.leaseTTL/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := e.db.AcquireLease(ctx, leaseName(componentAppID), e.holder, e.clock.Now(), e.leaseTTL)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				// Still ours until it expires; the next tick tries again.
				e.log.Warn("renewing the refresh lease failed", "component_appid", componentAppID, "err", err)
			case !ok:
				gone.Store(true)
				e.log.Warn("refresh lease taken over by another process", "component_appid", componentAppID)
				return
			}
		}
	}()
	return gone.Load, func() { cancel(); <-done }
}

// acquireLease takes or renews the platform's refresh lease, taking over at once a lease left
// by a dead process of this host. Two processes that see the same dead holder race on the
// database's compare-and-set: one gets the lease.
func (e *Engine) acquireLease(ctx context.Context, componentAppID string) (bool, error) {
	name := leaseName(componentAppID)
	e.mu.Lock()
	e.leased[name] = true
	e.mu.Unlock()
	ok, err := e.db.AcquireLease(ctx, name, e.holder, e.clock.Now(), e.leaseTTL)
	if err != nil || ok {
		return ok, err
	}
	holder, _, err := e.db.LeaseHolder(ctx, name)
	if err != nil || holder == "" || !e.deadHolder(holder) {
		return false, err
	}
	e.mu.Lock()
	first, seen := e.deadSeen[holder]
	if !seen {
		first = time.Now() // real time: the dead process's requests travel in real time
		e.deadSeen[holder] = first
	}
	e.mu.Unlock()
	if time.Since(first) < e.deadGrace {
		return false, nil
	}
	if err := e.db.ReleaseLease(ctx, name, holder); err != nil {
		return false, err
	}
	e.log.Warn("took over the refresh lease of a stopped process", "component_appid", componentAppID, "holder", holder)
	return e.db.AcquireLease(ctx, name, e.holder, e.clock.Now(), e.leaseTTL)
}

// releaseLeases hands the leases over at once on a clean stop, instead of after their TTL.
func (e *Engine) releaseLeases() {
	e.mu.Lock()
	names := make([]string, 0, len(e.leased))
	for name := range e.leased {
		names = append(names, name)
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range names {
		_ = e.db.ReleaseLease(ctx, name, e.holder)
	}
	e.mu.Lock()
	clear(e.leading)
	clear(e.leased)
	e.mu.Unlock()
}

// HoldsLease reports whether this process holds the platform's refresh lease now: consumers
// that must have one writer per platform (the Redis publishers) act only while it does.
func (e *Engine) HoldsLease(ctx context.Context, componentAppID string) (bool, error) {
	holder, until, err := e.db.LeaseHolder(ctx, leaseName(componentAppID))
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return holder == e.holder && until.After(e.clock.Now()), nil
}
