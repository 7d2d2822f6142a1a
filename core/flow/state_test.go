package flow_test

import (
	"slices"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestDerive walks the state machine: every main state and every side state, from facts alone.
func TestDerive(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ticket := &flow.Ticket{Value: "ticket@@@x", CreateTime: now.Add(-time.Hour), ReceivedAt: now.Add(-time.Minute)}
	validToken := &flow.ComponentToken{Token: "t", ObtainedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}
	expiredToken := &flow.ComponentToken{Token: "t", ObtainedAt: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	waiting := &flow.Session{State: flow.SessionPending, PreAuthExpiresAt: now.Add(10 * time.Minute)}
	lapsed := &flow.Session{State: flow.SessionPending, PreAuthExpiresAt: now.Add(-time.Second)}
	exchanging := &flow.Session{State: flow.SessionExchanging, PreAuthExpiresAt: now.Add(-time.Hour)}
	done := &flow.Session{State: flow.SessionDone}
	healthy := []flow.Authorizer{{AppID: "wx0000000000000001", Status: flow.AuthorizerHealthy}}
	reauth := []flow.Authorizer{{AppID: "wx0000000000000001", Status: flow.AuthorizerNeedsReauth}}
	ev := func(kind flow.EventKind, code int, ago time.Duration) flow.Event {
		return flow.Event{Kind: kind, Code: code, At: now.Add(-ago)}
	}
	base := flow.Facts{Configured: true, Ticket: ticket, LastPushAt: now.Add(-time.Minute)}
	with := func(edit func(*flow.Facts)) flow.Facts { f := base; edit(&f); return f }

	for _, tc := range []struct {
		name  string
		facts flow.Facts
		state flow.State
		side  []flow.State
	}{
		{"nothing configured", flow.Facts{}, flow.StateNeedConfig, nil},
		{"no ticket yet", flow.Facts{Configured: true}, flow.StateAwaitTicket, nil},
		{"a ticket, no token", base, flow.StateTicketReady, nil},
		{"a ticket, an expired token", with(func(f *flow.Facts) { f.ComponentToken = expiredToken }), flow.StateTicketReady, nil},
		{"a valid component token", with(func(f *flow.Facts) { f.ComponentToken = validToken }), flow.StateComponentToken, nil},
		{"a session waits", with(func(f *flow.Facts) { f.ComponentToken, f.Session = validToken, waiting }), flow.StateAuthorizing, nil},
		{"a code is being exchanged", with(func(f *flow.Facts) { f.Session = exchanging }), flow.StateAuthorizing, nil},
		{"a waiting session beats existing accounts", with(func(f *flow.Facts) { f.Session, f.Authorizers = waiting, healthy }), flow.StateAuthorizing, nil},
		{"a lapsed session is not authorizing", with(func(f *flow.Facts) { f.ComponentToken, f.Session = validToken, lapsed }), flow.StateComponentToken, nil},
		{"authorized", with(func(f *flow.Facts) { f.Session, f.Authorizers = done, healthy }), flow.StateAuthorized, nil},
		{"authorized, token expired", with(func(f *flow.Facts) { f.ComponentToken, f.Authorizers = expiredToken, healthy }), flow.StateAuthorized, nil},

		{"ticket stale after 20 min without a push", with(func(f *flow.Facts) { f.LastPushAt = now.Add(-flow.TicketStaleSpan) }), flow.StateTicketReady, []flow.State{flow.SideTicketStale}},
		{"19 min without a push is not stale", with(func(f *flow.Facts) { f.LastPushAt = now.Add(-19 * time.Minute) }), flow.StateTicketReady, nil},
		{"an account needs re-authorization", with(func(f *flow.Facts) { f.Authorizers = reauth }), flow.StateAuthorized, []flow.State{flow.SideNeedsReauth}},
		{"IP refused (61004)", with(func(f *flow.Facts) { f.Outcomes = []flow.Event{ev(flow.EventError, 61004, time.Minute)} }), flow.StateTicketReady, []flow.State{flow.SideIPNotWhitelisted}},
		{"IP refused (40164)", with(func(f *flow.Facts) { f.Outcomes = []flow.Event{ev(flow.EventError, 40164, time.Minute)} }), flow.StateTicketReady, []flow.State{flow.SideIPNotWhitelisted}},
		{"IP refused, then a token renewed", with(func(f *flow.Facts) {
			f.Outcomes = []flow.Event{ev(flow.EventComponentToken, 0, time.Second), ev(flow.EventError, 61004, time.Minute)}
		}), flow.StateTicketReady, nil},
		{"quota used up today", with(func(f *flow.Facts) { f.Outcomes = []flow.Event{ev(flow.EventQuota, 45009, time.Hour)} }), flow.StateTicketReady, []flow.State{flow.SideQuotaExhausted}},
		{"quota used up yesterday (China time)", with(func(f *flow.Facts) { f.Outcomes = []flow.Event{ev(flow.EventQuota, 45009, 24*time.Hour)} }), flow.StateTicketReady, nil},
		{"quota used up, then cleared", with(func(f *flow.Facts) {
			f.Outcomes = []flow.Event{ev(flow.EventQuotaCleared, 0, time.Minute), ev(flow.EventQuota, 45009, time.Hour)}
		}), flow.StateTicketReady, nil},
		{"a ticket push of its own is not a side state", with(func(f *flow.Facts) { f.Outcomes = []flow.Event{ev(flow.EventTicketReceived, 0, time.Minute)} }), flow.StateTicketReady, nil},
		{"every side state at once", with(func(f *flow.Facts) {
			f.LastPushAt, f.Authorizers = now.Add(-time.Hour), reauth
			f.Outcomes = []flow.Event{ev(flow.EventError, 61004, time.Minute), ev(flow.EventQuota, 45009, time.Minute)}
		}), flow.StateAuthorized, []flow.State{flow.SideTicketStale, flow.SideNeedsReauth, flow.SideIPNotWhitelisted, flow.SideQuotaExhausted}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, side := flow.Derive(tc.facts, now)
			if state != tc.state {
				t.Errorf("state = %s, want %s", state, tc.state)
			}
			slices.Sort(side)
			want := slices.Clone(tc.side)
			slices.Sort(want)
			if !slices.Equal(side, want) {
				t.Errorf("side states = %v, want %v", side, want)
			}
		})
	}
}

// TestAuthorizerHealth: what a status and an expiry mean at one instant.
func TestAuthorizerHealth(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status  flow.AuthorizerStatus
		expires time.Time
		want    flow.Health
	}{
		{flow.AuthorizerHealthy, now.Add(time.Minute), flow.HealthOK},
		{flow.AuthorizerHealthy, now, flow.HealthExpired},
		{flow.AuthorizerHealthy, time.Time{}, flow.HealthOK},
		{flow.AuthorizerSuperseded, now.Add(time.Hour), flow.HealthSuperseded},
		{flow.AuthorizerNeedsReauth, now.Add(time.Hour), flow.HealthNeedsReauth},
		{flow.AuthorizerRevoked, now.Add(time.Hour), flow.HealthRevoked},
		{flow.AuthorizerNoToken, time.Time{}, flow.HealthNoToken},
		{flow.AuthorizerError, now.Add(time.Hour), flow.HealthError},
	} {
		a := flow.Authorizer{AppID: "wx0000000000000001", Status: tc.status, AccessExpiresAt: tc.expires}
		if got := a.Health(now); got != tc.want {
			t.Errorf("%s expiring %v: health %s, want %s", tc.status, tc.expires, got, tc.want)
		}
	}
}

// TestSessionStates: waiting, in progress and expired at one instant.
func TestSessionStates(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		state                      flow.SessionState
		expires                    time.Time
		waiting, going, hasExpired bool
	}{
		{flow.SessionPending, now.Add(time.Second), true, true, false},
		{flow.SessionPending, now, false, false, true},
		{flow.SessionExchanging, now.Add(-time.Hour), false, true, false},
		{flow.SessionDone, now.Add(time.Hour), false, false, false},
		{flow.SessionFailed, now.Add(time.Hour), false, false, false},
	} {
		s := flow.Session{State: tc.state, PreAuthExpiresAt: tc.expires}
		if s.Waiting(now) != tc.waiting || s.InProgress(now) != tc.going || s.Expired(now) != tc.hasExpired {
			t.Errorf("%s expiring %v: waiting %v in progress %v expired %v", tc.state, tc.expires, s.Waiting(now), s.InProgress(now), s.Expired(now))
		}
	}
}
