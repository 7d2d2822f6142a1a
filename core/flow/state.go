package flow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// The platform's state machine. A platform moves through the main states in order:
//
//	NeedConfig → AwaitTicket → TicketReady → ComponentToken → Authorizing → Authorized
//
// and side states hold beside them. Nothing is stored about the state itself: Derive computes it
// from the stored facts and the time, so every process (and every face) agrees on it.

// State is where a platform stands in the authorization flow.
type State string

// Main states, in order, and side states that can hold alongside them.
const (
	StateNeedConfig     State = "NeedConfig"     // no platform is configured
	StateAwaitTicket    State = "AwaitTicket"    // no component_verify_ticket has arrived
	StateTicketReady    State = "TicketReady"    // a ticket, but no valid component token
	StateComponentToken State = "ComponentToken" // a valid component token, no account yet
	StateAuthorizing    State = "Authorizing"    // a session waits for the merchant or exchanges a code
	StateAuthorized     State = "Authorized"     // at least one account authorized

	SideTicketStale      State = "TicketStale"          // no push for TicketStaleSpan
	SideIPNotWhitelisted State = "IPNotWhitelisted"     // WeChat refused our IP, and nothing succeeded since
	SideQuotaExhausted   State = "QuotaExhausted"       // a daily quota ran out today and was not cleared
	SideNeedsReauth      State = "NeedsReauthorization" // an account's merchant must authorize again
)

// Timings from the reference: tickets live 12 h and arrive every 10 min; a push gap of 20 min
// is worth a warning.
const (
	TicketValidity  = 12 * time.Hour
	TicketStaleSpan = 20 * time.Minute
)

// Facts are the stored facts a platform's state is derived from.
type Facts struct {
	Configured     bool
	Ticket         *Ticket
	LastPushAt     time.Time // any ticket push, of any age
	ComponentToken *ComponentToken
	Session        *Session // the newest authorization session
	Authorizers    []Authorizer
	Outcomes       []Event // the newest logged events, newest first
}

// Derive is the state machine: the main state and the side states of a platform at now.
func Derive(f Facts, now time.Time) (State, []State) {
	var side []State
	if !f.LastPushAt.IsZero() && now.Sub(f.LastPushAt) >= TicketStaleSpan {
		side = append(side, SideTicketStale)
	}
	if slices.ContainsFunc(f.Authorizers, func(a Authorizer) bool { return a.Status == AuthorizerNeedsReauth }) {
		side = append(side, SideNeedsReauth)
	}
	side = append(side, outcomeSides(f.Outcomes, now)...)
	switch {
	case !f.Configured:
		return StateNeedConfig, nil
	case f.Ticket == nil:
		return StateAwaitTicket, side
	case f.Session != nil && f.Session.InProgress(now):
		return StateAuthorizing, side
	case len(f.Authorizers) > 0:
		return StateAuthorized, side
	case f.ComponentToken != nil && f.ComponentToken.ValidAt(now):
		return StateComponentToken, side
	}
	return StateTicketReady, side
}

// outcomeSides reads the platform-wide conditions from the newest outcomes, which every process
// logs. Any successful token call proves the IP is whitelisted; a quota stays used up for the
// rest of its day unless it was cleared.
func outcomeSides(outcomes []Event, now time.Time) []State {
	var side []State
	ipSettled, quotaSettled := false, false
	for _, ev := range outcomes {
		class := wxapi.Explain(ev.Code).Side
		switch {
		case ev.Kind == EventQuotaCleared:
			quotaSettled = true
		case ev.Code != 0 && class == wxapi.SideQuotaUsedUp && !quotaSettled:
			if QuotaDay(ev.At) == QuotaDay(now) {
				side = append(side, SideQuotaExhausted)
			}
			quotaSettled = true
		case ev.Kind == EventComponentToken || ev.Kind == EventAuthorizerToken:
			ipSettled = true
		case ev.Code != 0 && class == wxapi.SideIPRejected && !ipSettled:
			side = append(side, SideIPNotWhitelisted)
			ipSettled = true
		}
	}
	return side
}

// QuotaDay is the calendar day in China Standard Time, the day WeChat's daily quotas reset on.
func QuotaDay(t time.Time) string { return t.In(chinaTime).Format("2006-01-02") }

var chinaTime = time.FixedZone("CST", 8*3600)

// Remedy says what to do about a side state of the snapshot.
func (s Snapshot) Remedy(side State) string {
	switch side {
	case SideTicketStale:
		return fmt.Sprintf("no ticket push for %s (WeChat pushes every 10 minutes): check that %s reaches `wxauth serve` and answers success, then `wxauth ticket push`",
			ShortDuration(s.Now.Sub(s.LastPushAt)), s.Platform.EventURL())
	case SideIPNotWhitelisted:
		return "WeChat refused this machine's IP (61004/40164): add the IP shown in the event below to 白名单IP地址列表 of this platform (开发资料)"
	case SideQuotaExhausted:
		return "a daily API quota is used up (45009): calls resume tomorrow, or reset it once with clear_quota on the open platform"
	case SideNeedsReauth:
		var ids []string
		for _, a := range s.Authorizers {
			if a.Status == AuthorizerNeedsReauth {
				ids = append(ids, a.AppID)
			}
		}
		slices.Sort(ids)
		return "the merchant must authorize again: " + strings.Join(ids, ", ") + " (`wxauth authorize --biz-appid APPID`)"
	}
	return ""
}

// NextStep is the usual next move from the snapshot's main state ("" when there is none).
func (s Snapshot) NextStep() string {
	switch s.State {
	case StateAwaitTicket:
		return "waiting for the first ticket: run `wxauth serve` where " + s.Platform.EventURL() + " reaches it, then `wxauth ticket push`"
	case StateTicketReady:
		return "`wxauth token` mints the component token (or `wxauth serve` does it)"
	case StateComponentToken:
		return "onboard an account with `wxauth authorize`"
	case StateAuthorizing:
		return "waiting for the merchant to approve; a pasted redirect URL finishes it too: `wxauth authorize --code URL`"
	}
	return ""
}

// ShortDuration renders a duration for people: "2h", "1h58m", "25m13s".
func ShortDuration(d time.Duration) string {
	if d >= time.Hour {
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	return d.Truncate(time.Second).String()
}
