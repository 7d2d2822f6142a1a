package flow

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"wxauth/core/refresh"
	"wxauth/core/wxapi"
	"wxauth/storage"
)

// lastsEnough reports whether a stored token obtained at obtained and expiring at expires may
// be handed out as is at now: it must still live a minute, or a tenth of its lifetime when
// that is shorter (worlds with compressed lifetimes). A tenth stays inside the refresher's
// margin (a fifth), so the refresher renews short-lived tokens, not every `token` call, and a
// 40 s component token is not re-minted on every pass.
func lastsEnough(now, obtained, expires time.Time) bool {
	need := time.Minute
	if life := expires.Sub(obtained); !obtained.IsZero() && life > 0 {
		need = min(need, life/10)
	}
	return expires.Sub(now) > need
}

func leaseName(componentAppID string) string { return "refresh/" + componentAppID }

// ComponentToken returns a valid component_access_token, minting one under the platform's lease
// when the stored one is missing or about to expire.
func (e *Engine) ComponentToken(ctx context.Context, componentAppID string) (storage.ComponentToken, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return storage.ComponentToken{}, err
	}
	tok, err := e.db.ComponentToken(ctx, p.ComponentAppID)
	if err == nil && lastsEnough(e.clock.Now(), tok.ObtainedAt, tok.ExpiresAt) {
		return tok, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return tok, err
	}
	err = e.underLease(ctx, p.ComponentAppID, func(ctx context.Context) error {
		cur, err := e.db.ComponentToken(ctx, p.ComponentAppID)
		if err == nil && lastsEnough(e.clock.Now(), cur.ObtainedAt, cur.ExpiresAt) {
			return nil // another process renewed it while we waited
		}
		_, err = e.mintComponentToken(ctx, p, cur.Version)
		return err
	}, func(ctx context.Context) (bool, error) {
		cur, err := e.db.ComponentToken(ctx, p.ComponentAppID)
		return err == nil && lastsEnough(e.clock.Now(), cur.ObtainedAt, cur.ExpiresAt), nil
	})
	if err != nil {
		return storage.ComponentToken{}, err
	}
	return e.db.ComponentToken(ctx, p.ComponentAppID)
}

// underLease runs fn holding the platform's refresh lease. When another process holds it, it
// waits (up to 30 s) for done to report that the other holder did the work, or for the lease
// to come free.
func (e *Engine) underLease(ctx context.Context, componentAppID string, fn func(context.Context) error, done func(context.Context) (bool, error)) error {
	lock := e.platformLock(componentAppID)
	lock.Lock()
	defer lock.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := e.acquireLease(ctx, componentAppID)
		if err != nil {
			return fmt.Errorf("taking the refresh lease: %w", err)
		}
		if ok {
			_, stop := e.keepLease(ctx, componentAppID)
			err := fn(ctx)
			stop()
			e.mu.Lock()
			leading := e.leading[componentAppID]
			e.mu.Unlock()
			if !leading {
				// A one-shot holder (`wxauth token`, a console action) gives the lease back at
				// once; the background refresher keeps it between its passes.
				if rerr := e.db.ReleaseLease(context.WithoutCancel(ctx), leaseName(componentAppID), e.holder); rerr != nil {
					e.log.Warn("releasing the refresh lease", "err", rerr)
				}
			}
			return err
		}
		if finished, err := done(ctx); err != nil || finished {
			return err
		}
		if time.Now().After(deadline) {
			holder, until, _ := e.db.LeaseHolder(ctx, leaseName(componentAppID))
			return &UserError{Msg: fmt.Sprintf("another wxauth process (%s) holds the refresh lease until %s and has not renewed the token", holder, until.Format(time.RFC3339)),
				Remedy: "check that process (`wxauth status`), or wait for its lease to expire"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mintComponentToken calls api_component_token with the current ticket and stores the result
// by compare-and-swap against prevVersion. Call it holding the lease.
func (e *Engine) mintComponentToken(ctx context.Context, p storage.Platform, prevVersion int64) (storage.ComponentToken, error) {
	ticket, err := e.db.CurrentTicket(ctx, p.ComponentAppID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.ComponentToken{}, &UserError{
			Msg:    "no component_verify_ticket has arrived yet for " + p.ComponentAppID,
			Remedy: "WeChat pushes one every 10 minutes to " + p.PublicURL + "/wechat/events once the platform is approved; ask for one now with `wxauth ticket push`, or click 全网发布",
			Err:    err}
	}
	if err != nil {
		return storage.ComponentToken{}, err
	}
	now := e.clock.Now()
	if now.Sub(ticket.CreateTime) > TicketValidity {
		e.emit(ctx, Event{Kind: EventTicketStale, Level: LevelWarn, ComponentAppID: p.ComponentAppID,
			Message: fmt.Sprintf("the newest ticket is %s old, past its 12 h validity", now.Sub(ticket.CreateTime).Round(time.Minute)),
			Remedy:  "check that pushes reach " + p.PublicURL + "/wechat/events, then `wxauth ticket push`"})
	}
	var got wxapi.ComponentToken
	err = e.policy.Retry(ctx, wxapi.IsRetryable, func(ctx context.Context) error {
		e.count(ctx, p.ComponentAppID, "api_component_token")
		var err error
		got, err = e.client(p).ComponentToken(ctx, p.ComponentAppID, p.AppSecret, ticket.Ticket)
		return err
	})
	if err != nil {
		e.noteFailure(p.ComponentAppID, err)
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "api_component_token", err))
		return storage.ComponentToken{}, err
	}
	obtained := e.clock.Now()
	tok, err := e.db.SwapComponentToken(ctx, prevVersion, storage.ComponentToken{
		ComponentAppID: p.ComponentAppID, Token: got.ComponentAccessToken,
		ObtainedAt: obtained, ExpiresAt: obtained.Add(time.Duration(got.ExpiresIn) * time.Second)})
	if err != nil {
		return tok, fmt.Errorf("storing the component token: %w", err)
	}
	e.emit(ctx, Event{Kind: EventComponentToken, ComponentAppID: p.ComponentAppID,
		Message: fmt.Sprintf("component_access_token renewed, valid %s", time.Duration(got.ExpiresIn)*time.Second)})
	return tok, nil
}

// AuthorizerToken returns a valid authorizer_access_token, refreshing it under the lease when
// it is missing or about to expire.
func (e *Engine) AuthorizerToken(ctx context.Context, componentAppID, authorizerAppID string) (storage.Authorizer, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return storage.Authorizer{}, err
	}
	a, err := e.authorizer(ctx, p.ComponentAppID, authorizerAppID)
	if err != nil {
		return a, err
	}
	if err := usable(a); err != nil {
		return a, err
	}
	if a.AccessToken != "" && lastsEnough(e.clock.Now(), a.AccessObtainedAt, a.AccessExpiresAt) {
		return a, nil
	}
	fresh := func(ctx context.Context) (bool, error) {
		cur, err := e.db.Authorizer(ctx, p.ComponentAppID, authorizerAppID)
		return err == nil && cur.AccessVersion != a.AccessVersion && lastsEnough(e.clock.Now(), cur.AccessObtainedAt, cur.AccessExpiresAt), err
	}
	err = e.underLease(ctx, p.ComponentAppID, func(ctx context.Context) error {
		cur, err := e.db.Authorizer(ctx, p.ComponentAppID, authorizerAppID)
		if err != nil {
			return err
		}
		if lastsEnough(e.clock.Now(), cur.AccessObtainedAt, cur.AccessExpiresAt) {
			return nil
		}
		return e.refreshAuthorizer(ctx, p, cur)
	}, fresh)
	if err != nil {
		return storage.Authorizer{}, err
	}
	a, err = e.db.Authorizer(ctx, p.ComponentAppID, authorizerAppID)
	if err == nil {
		err = usable(a)
	}
	return a, err
}

func (e *Engine) authorizer(ctx context.Context, componentAppID, appid string) (storage.Authorizer, error) {
	a, err := e.db.Authorizer(ctx, componentAppID, appid)
	if errors.Is(err, storage.ErrNotFound) {
		return a, &UserError{Msg: appid + " has not authorized platform " + componentAppID,
			Remedy: "authorize it with `wxauth authorize --biz-appid " + appid + "`", Err: err}
	}
	return a, err
}

// usable says why an authorizer's token cannot be handed out, if it cannot.
func usable(a storage.Authorizer) error {
	switch a.Status {
	case storage.StatusRevoked:
		return &UserError{Msg: a.AppID + " cancelled its authorization" + suffix(a.LastError),
			Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "`"}
	case storage.StatusNeedsReauth:
		return &UserError{Msg: a.AppID + " needs re-authorization" + suffix(a.LastError),
			Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "`"}
	case storage.StatusNoToken:
		return &UserError{Msg: a.AppID + " authorized without API permission, so WeChat issued no token",
			Remedy: "ask the merchant to authorize again and grant the permission sets"}
	}
	return nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// RefreshAuthorizer renews one authorizer's access token now, whatever its expiry.
func (e *Engine) RefreshAuthorizer(ctx context.Context, componentAppID, authorizerAppID string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	return e.underLease(ctx, p.ComponentAppID, func(ctx context.Context) error {
		a, err := e.authorizer(ctx, p.ComponentAppID, authorizerAppID)
		if err != nil {
			return err
		}
		return e.refreshAuthorizer(ctx, p, a)
	}, func(context.Context) (bool, error) { return false, nil })
}

// RefreshComponentToken mints a new component token now. Each call makes WeChat invalidate the
// previous token 5 minutes later, so faces should ask before doing this.
func (e *Engine) RefreshComponentToken(ctx context.Context, componentAppID string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	return e.underLease(ctx, p.ComponentAppID, func(ctx context.Context) error {
		cur, _ := e.db.ComponentToken(ctx, p.ComponentAppID)
		_, err := e.mintComponentToken(ctx, p, cur.Version)
		return err
	}, func(context.Context) (bool, error) { return false, nil })
}

// refreshAuthorizer calls api_authorizer_token for a and handles every failure WeChat can give.
// Call it holding the lease.
func (e *Engine) refreshAuthorizer(ctx context.Context, p storage.Platform, a storage.Authorizer) error {
	if a.RefreshToken == "" {
		return e.recoverRefreshToken(ctx, p, a, nil)
	}
	comp, err := e.validComponentToken(ctx, p)
	if err != nil {
		return err
	}
	var got wxapi.AuthorizerToken
	call := func(ctx context.Context) error {
		e.count(ctx, p.ComponentAppID, "api_authorizer_token")
		var err error
		got, err = e.client(p).AuthorizerToken(ctx, comp.Token, p.ComponentAppID, a.AppID, a.RefreshToken)
		return err
	}
	err = e.policy.Retry(ctx, wxapi.IsRetryable, call)
	if wxapi.IsTokenInvalid(err) {
		// Re-mint once, and only if the token that failed is still the stored one: otherwise
		// another process already replaced it and we just use the new one.
		cur, _ := e.db.ComponentToken(ctx, p.ComponentAppID)
		if cur.Version == comp.Version {
			e.emit(ctx, Event{Kind: EventSuperseded, Level: LevelWarn, ComponentAppID: p.ComponentAppID,
				Code: wxapi.ErrCode(err), Message: fmt.Sprintf("component token rejected (%d) %s before its expiry: another party minted a newer one", wxapi.ErrCode(err), comp.ExpiresAt.Sub(e.clock.Now()).Round(time.Second)),
				Remedy: "make sure only one system (this wxauth database) refreshes this platform's token"})
			if comp, err = e.mintComponentToken(ctx, p, comp.Version); err != nil {
				return err
			}
		} else {
			comp = cur
		}
		err = e.policy.Retry(ctx, wxapi.IsRetryable, call)
	}
	switch code := wxapi.ErrCode(err); {
	case err == nil:
	case code == 61023:
		return e.recoverRefreshToken(ctx, p, a, err)
	case code == 61003:
		e.setStatus(ctx, p, a.AppID, storage.StatusRevoked, err)
		e.emit(ctx, errorEvent(EventRevoked, p.ComponentAppID, a.AppID, "api_authorizer_token", err))
		return err
	default:
		e.noteFailure(p.ComponentAppID, err)
		e.setStatus(ctx, p, a.AppID, storage.StatusError, err)
		kind := EventError
		if code == 45009 {
			kind = EventQuota
		}
		e.emit(ctx, errorEvent(kind, p.ComponentAppID, a.AppID, "api_authorizer_token", err))
		return err
	}
	now := e.clock.Now()
	if _, err := e.db.SwapAuthorizerToken(ctx, p.ComponentAppID, a.AppID, a.AccessVersion, got.AuthorizerAccessToken,
		now, now.Add(time.Duration(got.ExpiresIn)*time.Second), got.AuthorizerRefreshToken); err != nil {
		return fmt.Errorf("storing the access token of %s: %w", a.AppID, err)
	}
	e.emit(ctx, Event{Kind: EventAuthorizerToken, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
		Message: fmt.Sprintf("authorizer_access_token of %s renewed, valid %s", a.AppID, time.Duration(got.ExpiresIn)*time.Second)})
	return nil
}

func (e *Engine) setStatus(ctx context.Context, p storage.Platform, appid, status string, cause error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
		var we *wxapi.Error
		if errors.As(cause, &we) {
			msg = fmt.Sprintf("%d %s", we.ErrCode, we.Info().Meaning)
		}
	}
	if err := e.db.SetAuthorizerStatus(context.WithoutCancel(ctx), p.ComponentAppID, appid, status, msg, e.clock.Now()); err != nil {
		e.log.Error("storing authorizer status failed", "err", err)
	}
}

// recoverRefreshToken looks the authorizer up in api_get_authorizer_list: WeChat returns the
// refresh token there. Only when that fails too is the merchant asked to re-authorize.
func (e *Engine) recoverRefreshToken(ctx context.Context, p storage.Platform, a storage.Authorizer, cause error) error {
	comp, err := e.validComponentToken(ctx, p)
	if err != nil {
		return err
	}
	var list []wxapi.AuthorizerListItem
	err = e.policy.Retry(ctx, wxapi.IsRetryable, func(ctx context.Context) error {
		e.count(ctx, p.ComponentAppID, "api_get_authorizer_list")
		var err error
		list, err = e.client(p).AllAuthorizers(ctx, comp.Token, p.ComponentAppID)
		return err
	})
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, a.AppID, "api_get_authorizer_list", err))
		return err
	}
	for _, it := range list {
		if it.AuthorizerAppID == a.AppID && it.RefreshToken != "" && it.RefreshToken != a.RefreshToken {
			if err := e.db.RecoverRefreshToken(ctx, p.ComponentAppID, a.AppID, it.RefreshToken, e.clock.Now()); err != nil {
				return err
			}
			e.emit(ctx, Event{Kind: EventRefreshRecovered, Level: LevelWarn, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
				Message: "refresh token of " + a.AppID + " was invalid; recovered the current one from api_get_authorizer_list"})
			a.RefreshToken = it.RefreshToken
			return e.refreshAuthorizer(ctx, p, a)
		}
	}
	why := "its refresh token is invalid (61023) and api_get_authorizer_list has no newer one"
	if cause == nil {
		why = "WeChat never gave it a refresh token and api_get_authorizer_list has none"
	}
	ue := &UserError{Msg: a.AppID + " needs re-authorization: " + why,
		Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "` (or the console's authorize key)", Err: cause}
	e.setStatus(ctx, p, a.AppID, storage.StatusNeedsReauth, errors.New(why))
	e.emit(ctx, Event{Kind: EventNeedsReauth, Level: LevelError, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
		Code: 61023, Message: ue.Msg, Remedy: ue.Remedy})
	return ue
}

// validComponentToken returns the stored component token, minting one if it is unusable.
// Call it holding the lease.
func (e *Engine) validComponentToken(ctx context.Context, p storage.Platform) (storage.ComponentToken, error) {
	tok, err := e.db.ComponentToken(ctx, p.ComponentAppID)
	if err == nil && lastsEnough(e.clock.Now(), tok.ObtainedAt, tok.ExpiresAt) {
		return tok, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return tok, err
	}
	return e.mintComponentToken(ctx, p, tok.Version)
}

// block pauses background refreshing of a platform after an error that retrying cannot fix
// and that every call would hit again: IP not whitelisted, quota exhausted, bad credentials.
// Explicit requests (`wxauth token`, refresh now) still go through, so the user can check a fix.
type block struct {
	until time.Time
	code  int
}

// blockFor says how long a platform-wide error pauses the refresher (0 = not platform-wide).
func blockFor(now time.Time, code int) time.Time {
	switch code {
	case 45009: // the daily quota resets at midnight China time
		cst := now.In(time.FixedZone("CST", 8*3600))
		return time.Date(cst.Year(), cst.Month(), cst.Day()+1, 0, 0, 0, 0, cst.Location())
	case 61004, 40164, 40125, 41004, 61011, 40013:
		return now.Add(5 * time.Minute)
	}
	return time.Time{}
}

// noteFailure pauses the platform's refresher if err is platform-wide.
func (e *Engine) noteFailure(componentAppID string, err error) {
	code := wxapi.ErrCode(err)
	until := blockFor(e.clock.Now(), code)
	if until.IsZero() {
		return
	}
	e.mu.Lock()
	e.blocked[componentAppID] = block{until: until, code: code}
	e.mu.Unlock()
}

// pausedUntil reports whether the platform's background refresh is paused.
func (e *Engine) pausedUntil(componentAppID string) (block, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.blocked[componentAppID]
	if ok && !e.clock.Now().Before(b.until) {
		delete(e.blocked, componentAppID)
		return b, false
	}
	return b, ok
}

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
	tok, err := e.db.ComponentToken(ctx, p.ComponentAppID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && e.policy.Due(now, "component/"+p.ComponentAppID, tok.ObtainedAt, tok.ExpiresAt)) {
		if _, err := e.db.CurrentTicket(ctx, p.ComponentAppID); err == nil {
			if _, err := e.mintComponentToken(ctx, p, tok.Version); err != nil {
				return rep, err
			}
			rep.ComponentRenewed = true
		}
	} else if err != nil {
		return rep, err
	}
	list, err := e.db.Authorizers(ctx, p.ComponentAppID)
	if err != nil {
		return rep, err
	}
	var due []storage.Authorizer
	for _, a := range list {
		if a.Status == storage.StatusRevoked || a.Status == storage.StatusNeedsReauth || a.Status == storage.StatusNoToken {
			continue
		}
		if a.Status == storage.StatusError && now.Sub(a.LastErrorAt) < time.Minute {
			continue // back off a failing authorizer between passes
		}
		if e.policy.Due(now, "authorizer/"+a.AppID, a.AccessObtainedAt, a.AccessExpiresAt) {
			due = append(due, a)
		}
	}
	if len(due) == 0 {
		return rep, nil
	}
	if _, err := e.validComponentToken(ctx, p); err != nil {
		return rep, err
	}
	var refreshed, failed atomic.Int64
	refresh.ForEach(ctx, e.policy.Parallel, due, func(ctx context.Context, a storage.Authorizer) {
		if lost() {
			return // the new holder refreshes what is still due
		}
		if _, paused := e.pausedUntil(p.ComponentAppID); paused {
			failed.Add(1) // a platform-wide error hit an earlier authorizer of this pass
			return
		}
		if err := e.refreshAuthorizer(ctx, p, a); err != nil {
			failed.Add(1)
		} else {
			refreshed.Add(1)
		}
	})
	rep.Refreshed, rep.Failed, rep.LeaseLost = int(refreshed.Load()), int(failed.Load()), lost()
	return rep, nil
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

// resumeExchanges retries the exchanges that stopped processes left half done. The code was
// committed when it arrived, so nothing the merchant did is lost.
func (e *Engine) resumeExchanges(ctx context.Context, p storage.Platform) {
	before := time.Now().Add(-e.exchangeTimeout - e.exchangeTimeout/4)
	stale, err := e.db.StaleExchanges(ctx, p.ComponentAppID, before)
	if err != nil {
		e.log.Warn("listing stale exchanges", "err", err)
		return
	}
	for _, s := range stale {
		if ok, err := e.db.RetryExchange(ctx, s.ID, before); err != nil || !ok {
			continue
		}
		e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: p.ComponentAppID,
			Message: "resuming an authorization-code exchange interrupted by a stopped process"})
		if _, err := e.exchange(ctx, s); err != nil {
			e.log.Warn("resumed exchange failed", "err", err)
		}
	}
}

// checkTicketFreshness warns (once per stale spell) when no push arrived for 20 minutes.
func (e *Engine) checkTicketFreshness(ctx context.Context, p storage.Platform) {
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
