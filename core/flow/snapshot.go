package flow

import (
	"context"
	"errors"
	"time"

	"wxauth/storage"
)

// outcomesRead is how many logged events Snapshot reads to settle the side states.
const outcomesRead = 100

// Snapshot reads everything about a platform and derives its state (state.go).
func (e *Engine) Snapshot(ctx context.Context, componentAppID string) (Snapshot, error) {
	now := e.clock.Now()
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return Snapshot{Now: now, State: StateNeedConfig}, nil
		}
		return Snapshot{}, err
	}
	s := Snapshot{Now: now, Platform: p}
	f, err := e.facts(ctx, p.ComponentAppID)
	if err != nil {
		return s, err
	}
	s.Ticket, s.LastPushAt, s.ComponentToken, s.Session, s.Authorizers = f.Ticket, f.LastPushAt, f.ComponentToken, f.Session, f.Authorizers
	if s.Ticket != nil {
		s.TicketExpiresAt = s.Ticket.ExpiresAt()
	}
	if t := s.ComponentToken; t != nil {
		s.NextRefreshAt = e.policy.RenewAt("component/"+p.ComponentAppID, t.ObtainedAt, t.ExpiresAt)
	}
	for _, a := range s.Authorizers {
		if a.Health(now) == HealthOK {
			s.Healthy++
		}
	}
	if s.CallsToday, err = e.db.CallCounts(ctx, p.ComponentAppID, now); err != nil {
		return s, err
	}
	if s.FaultsLastHour, err = e.db.FaultCounts(ctx, p.ComponentAppID, now.Add(-time.Hour)); err != nil {
		return s, err
	}
	s.State, s.Side = Derive(f, now)
	return s, nil
}

// facts reads what a platform's state is derived from.
func (e *Engine) facts(ctx context.Context, componentAppID string) (Facts, error) {
	f := Facts{Configured: true}
	if t, err := e.loadTicket(ctx, componentAppID); err == nil {
		f.Ticket = &t
	} else if !errors.Is(err, storage.ErrNotFound) {
		return f, err
	}
	var err error
	if f.LastPushAt, err = e.db.LastTicketReceivedAt(ctx, componentAppID); err != nil {
		return f, err
	}
	if t, err := e.loadComponentToken(ctx, componentAppID); err == nil {
		f.ComponentToken = &t
	} else if !errors.Is(err, storage.ErrNotFound) {
		return f, err
	}
	if s, err := e.latestSession(ctx, componentAppID); err == nil {
		f.Session = &s
	} else if !errors.Is(err, storage.ErrNotFound) {
		return f, err
	}
	if f.Authorizers, err = e.loadAuthorizers(ctx, componentAppID); err != nil {
		return f, err
	}
	f.Outcomes, err = e.Events(ctx, componentAppID, outcomesRead)
	return f, err
}

// Events returns a platform's newest logged events, newest first.
func (e *Engine) Events(ctx context.Context, componentAppID string, limit int) ([]Event, error) {
	rows, err := e.db.Events(ctx, componentAppID, limit)
	return each(rows, eventOf), err
}
