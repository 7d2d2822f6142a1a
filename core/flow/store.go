package flow

import (
	"context"
	"time"

	"wxauth/storage"
)

// Store is everything the engine keeps, behind one seam: the SQLite store implements it today,
// and a server database can be added beside it without touching the engine. It is split by
// domain so that each part can be read (and faked in a test) on its own.
//
// Its methods speak storage's rows; the engine turns them into its own types (rows.go) before
// any face sees them.
type Store interface {
	PlatformStore
	TicketStore
	TokenStore
	AuthorizerStore
	SessionStore
	LeaseStore
	EventLog
	CallCounter
	RenewalStore
	SinkStore
	ClientStore
}

// PlatformStore keeps the platforms' configuration.
type PlatformStore interface {
	AddPlatform(ctx context.Context, p storage.Platform) error
	UpdatePlatform(ctx context.Context, p storage.Platform) error
	Platform(ctx context.Context, componentAppID string) (storage.Platform, error)
	Platforms(ctx context.Context) ([]storage.Platform, error)
	RemovePlatform(ctx context.Context, componentAppID string) error
}

// TicketStore keeps every ticket received; the newest by CreateTime is current.
type TicketStore interface {
	SaveTicket(ctx context.Context, t storage.Ticket) (current, repeat bool, err error)
	CurrentTicket(ctx context.Context, componentAppID string) (storage.Ticket, error)
	LastTicketReceivedAt(ctx context.Context, componentAppID string) (time.Time, error)
}

// TokenStore keeps the component token, replaced by compare-and-swap.
type TokenStore interface {
	ComponentToken(ctx context.Context, componentAppID string) (storage.ComponentToken, error)
	SwapComponentToken(ctx context.Context, prev int64, next storage.ComponentToken) (storage.ComponentToken, error)
	ExpireComponentToken(ctx context.Context, componentAppID string, version int64, at time.Time) error
}

// AuthorizerStore keeps the authorized accounts, their tokens and refresh-token history.
type AuthorizerStore interface {
	Authorizer(ctx context.Context, componentAppID, appid string) (storage.Authorizer, error)
	Authorizers(ctx context.Context, componentAppID string) ([]storage.Authorizer, error)
	AuthorizersUpdatedSince(ctx context.Context, componentAppID string, since time.Time) ([]storage.Authorizer, error)
	SaveGrant(ctx context.Context, g storage.Grant) (prev storage.Authorizer, err error)
	SwapAuthorizerToken(ctx context.Context, componentAppID, appid string, prev int64,
		accessToken string, obtainedAt, expiresAt time.Time, refreshToken string) error
	RecoverRefreshToken(ctx context.Context, componentAppID, appid, token string, at time.Time) error
	RefreshTokenHistory(ctx context.Context, componentAppID, appid string) ([]string, error)
	RefreshTokens(ctx context.Context, componentAppID string) ([]storage.RefreshTokenRecord, error)
	SetAuthorizerInfo(ctx context.Context, componentAppID, appid, nick, userName, principal, kind, infoJSON string, at time.Time) error
	SetAuthorizerStatus(ctx context.Context, componentAppID, appid, status string, from []string, lastError string, at time.Time) error
}

// SessionStore keeps authorization sessions; each is claimed by one code at most.
type SessionStore interface {
	CreateSession(ctx context.Context, s storage.Session) error
	Session(ctx context.Context, id string) (storage.Session, error)
	LatestSession(ctx context.Context, componentAppID string) (storage.Session, error)
	SessionByPreAuthCode(ctx context.Context, componentAppID, preAuthCode string) (storage.Session, error)
	ClaimSession(ctx context.Context, id, code, source, claimant string) (storage.Session, error)
	ReleaseSession(ctx context.Context, id, code string) error
	Exchanges(ctx context.Context, componentAppID string) ([]storage.Session, error)
	RetryExchange(ctx context.Context, id string, claimedAt time.Time, claimant string) (bool, error)
	FinishSession(ctx context.Context, id, authorizerAppID, errText string, at time.Time) error
}

// LeaseStore keeps the refresh leases: one holder per platform across processes.
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	LeaseHolder(ctx context.Context, name string) (string, time.Time, error)
}

// EventLog is the append-only audit log.
type EventLog interface {
	AppendEvent(ctx context.Context, e storage.Event) error
	AppendEvents(ctx context.Context, evs []storage.Event) error
	Events(ctx context.Context, componentAppID string, limit int) ([]storage.Event, error)
}

// CallCounter counts API calls per quota day, and WeChat's faults per hour.
type CallCounter interface {
	CountCall(ctx context.Context, componentAppID, api string, at time.Time) error
	CountCalls(ctx context.Context, componentAppID string, at time.Time, n map[string]int) error
	CallCounts(ctx context.Context, componentAppID string, at time.Time) (map[string]int, error)
	CountFault(ctx context.Context, componentAppID, kind string, at time.Time) error
	FaultCounts(ctx context.Context, componentAppID string, since time.Time) (map[string]int, error)
}

// RenewalStore carries renewal requests from any process to the lease holder, and the answers
// back.
type RenewalStore interface {
	RequestRenewal(ctx context.Context, componentAppID, target string, at time.Time) (int64, error)
	Renewal(ctx context.Context, id int64) (storage.RenewRequest, error)
	PendingRenewals(ctx context.Context, componentAppID string) ([]storage.RenewRequest, error)
	FinishRenewal(ctx context.Context, id int64, errText string, code int, needsUser bool, at time.Time) error
}

// ClientStore keeps the token service's clients: scope and key hash, and usage written in
// batches.
type ClientStore interface {
	AddClient(ctx context.Context, c storage.TokenClient) error
	Clients(ctx context.Context) ([]storage.TokenClient, error)
	Client(ctx context.Context, name string) (storage.TokenClient, error)
	RotateClientKey(ctx context.Context, name, keyHash string, at time.Time) error
	RemoveClient(ctx context.Context, name string) error
	RecordClientUse(ctx context.Context, uses []storage.ClientUse) error
}

// The SQLite store is a Store.
var _ Store = (*storage.DB)(nil)
