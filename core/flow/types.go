package flow

import (
	"time"
)

// EventKind names what happened.
type EventKind string

// Event kinds the engine emits (and appends to the audit log).
const (
	EventTicketReceived     EventKind = "ticket_received"
	EventTicketIgnored      EventKind = "ticket_ignored" // older than the stored one
	EventTicketStale        EventKind = "ticket_stale"
	EventPushTicketAsked    EventKind = "push_ticket_requested"
	EventPushRejected       EventKind = "push_rejected"
	EventPushUnknown        EventKind = "push_unknown"
	EventComponentToken     EventKind = "component_token_refreshed"
	EventSuperseded         EventKind = "token_superseded"
	EventSessionStarted     EventKind = "authorization_started"
	EventBrowser            EventKind = "browser"
	EventCodeCaptured       EventKind = "code_captured"
	EventAuthorized         EventKind = "authorized"
	EventPermissionsChanged EventKind = "permissions_changed"
	EventRevoked            EventKind = "unauthorized"
	EventAuthorizerToken    EventKind = "authorizer_token_refreshed"
	EventRefreshRecovered   EventKind = "refresh_token_recovered"
	EventNeedsReauth        EventKind = "needs_reauthorization"
	EventQuota              EventKind = "quota_exhausted"
	EventQuotaCleared       EventKind = "quota_cleared"
	EventError              EventKind = "error"
	EventStoreUnreachable   EventKind = "store_unreachable" // a credential held in memory until the store answers
	EventPlatformUpdated    EventKind = "platform_updated"
	EventImported           EventKind = "authorizers_imported"
	EventDoctorProbe        EventKind = "doctor_probe" // `wxauth doctor` reached the listener
)

// Levels of events.
const (
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
)

// Event is what subscribers (the console, logs) receive.
type Event struct {
	At              time.Time
	Kind            EventKind
	Level           string
	ComponentAppID  string
	AuthorizerAppID string
	Message         string // one line, no secrets
	Code            int    // WeChat errcode or wxcrypt code, 0 if none
	Remedy          string // what the user can do, when there is something
}

// Text is the event in one line: the message, then the remedy.
func (ev Event) Text() string {
	if ev.Remedy == "" {
		return ev.Message
	}
	return ev.Message + " — " + ev.Remedy
}

// Snapshot is everything a face needs to draw a platform at one instant.
type Snapshot struct {
	Now      time.Time
	Platform Platform
	State    State
	Side     []State

	Ticket          *Ticket   // current ticket, nil if none
	LastPushAt      time.Time // when any ticket push last arrived
	TicketExpiresAt time.Time // CreateTime + 12 h

	ComponentToken *ComponentToken // nil if none
	NextRefreshAt  time.Time       // when the refresher will renew the component token

	Session *Session // the newest authorization session, nil if none

	Authorizers []Authorizer
	Healthy     int
	CallsToday  map[string]int
	// FaultsLastHour counts WeChat's faults by kind ("-1", "HTTP 502", "network"…) in the
	// last hour, retried or not: a flaky WeChat shows here before anything fails.
	FaultsLastHour map[string]int
}

// Has reports whether side state s holds.
func (s Snapshot) Has(side State) bool {
	for _, x := range s.Side {
		if x == side {
			return true
		}
	}
	return false
}

// AuthOptions shape the authorization links.
type AuthOptions struct {
	AuthType    int    // 1 OA, 2 MP, 3 both, … (0 = WeChat's default)
	BizAppID    string // restrict to one account
	CategoryIDs []int  // permission sets; empty = all full-released sets
}

// Authorization is a started session and where to send the merchant.
type Authorization struct {
	Session   Session
	LaunchURL string // our launch page; its link carries the Referer WeChat demands
}
