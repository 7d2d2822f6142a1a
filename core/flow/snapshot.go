package flow

import (
	"context"
	"errors"

	"wxauth/storage"
)

// Snapshot reads everything about a platform and derives its state.
func (e *Engine) Snapshot(ctx context.Context, componentAppID string) (Snapshot, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return Snapshot{Now: e.clock.Now(), State: StateNeedConfig}, nil
		}
		return Snapshot{}, err
	}
	s := Snapshot{Now: e.clock.Now(), Platform: p}
	if t, err := e.db.CurrentTicket(ctx, p.ComponentAppID); err == nil {
		s.Ticket = &t
		s.TicketExpiresAt = t.CreateTime.Add(TicketValidity)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return s, err
	}
	if s.LastPushAt, err = e.db.LastTicketReceivedAt(ctx, p.ComponentAppID); err != nil {
		return s, err
	}
	if t, err := e.db.ComponentToken(ctx, p.ComponentAppID); err == nil {
		s.ComponentToken = &t
		s.NextRefreshAt = e.policy.RenewAt("component/"+p.ComponentAppID, t.ObtainedAt, t.ExpiresAt)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return s, err
	}
	if sess, err := e.db.LatestSession(ctx, p.ComponentAppID); err == nil {
		s.Session = &sess
	} else if !errors.Is(err, storage.ErrNotFound) {
		return s, err
	}
	if s.Authorizers, err = e.db.Authorizers(ctx, p.ComponentAppID); err != nil {
		return s, err
	}
	if s.CallsToday, err = e.db.CallCounts(ctx, p.ComponentAppID, s.Now); err != nil {
		return s, err
	}
	needsReauth := false
	for _, a := range s.Authorizers {
		switch a.Status {
		case storage.StatusHealthy:
			if a.AccessExpiresAt.After(s.Now) {
				s.Healthy++
			}
		case storage.StatusNeedsReauth:
			needsReauth = true
		}
	}

	switch {
	case s.Ticket == nil:
		s.State = StateAwaitTicket
	case s.Session != nil && s.Session.State == storage.SessionPending && s.Now.Before(s.Session.PreAuthExpiresAt),
		s.Session != nil && s.Session.State == storage.SessionExchanging:
		s.State = StateAuthorizing
	case len(s.Authorizers) > 0:
		s.State = StateAuthorized
	case s.ComponentToken != nil && s.ComponentToken.ExpiresAt.After(s.Now):
		s.State = StateComponentToken
	default:
		s.State = StateTicketReady
	}
	if !s.LastPushAt.IsZero() && s.Now.Sub(s.LastPushAt) >= TicketStaleSpan {
		s.Side = append(s.Side, SideTicketStale)
	}
	if needsReauth {
		s.Side = append(s.Side, SideNeedsReauth)
	}
	// IP and quota problems are platform-wide: read them from the newest outcomes in the log,
	// which every process writes. Any successful call proves the IP is whitelisted; a quota
	// stays exhausted for the rest of its day unless it was cleared.
	evs, err := e.db.Events(ctx, p.ComponentAppID, 100)
	if err != nil {
		return s, err
	}
	ipSettled, quotaSettled := false, false
	for _, ev := range evs {
		switch {
		case ev.Kind == string(EventQuotaCleared):
			quotaSettled = true
		case ev.Code == 45009 && !quotaSettled:
			if storage.QuotaDay(ev.At) == storage.QuotaDay(s.Now) {
				s.Side = append(s.Side, SideQuotaExhausted)
			}
			quotaSettled = true
		case ev.Kind == string(EventComponentToken) || ev.Kind == string(EventAuthorizerToken):
			ipSettled = true
		case (ev.Code == 61004 || ev.Code == 40164) && !ipSettled:
			s.Side = append(s.Side, SideIPNotWhitelisted)
			ipSettled = true
		}
	}
	return s, nil
}

// Events returns a platform's newest logged events, newest first.
func (e *Engine) Events(ctx context.Context, componentAppID string, limit int) ([]storage.Event, error) {
	return e.db.Events(ctx, componentAppID, limit)
}
