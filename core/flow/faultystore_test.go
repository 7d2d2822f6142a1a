package flow_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"wxauth/core/flow"
	"wxauth/storage"
)

// faultyStore is the SQLite store with an outage switch: while down, every call fails as a
// database connection refused would. failFrom makes the outage begin at the first call of a
// chosen method (a store lost mid-authorization, mid-refresh).
type faultyStore struct {
	flow.Store
	down  atomic.Bool
	calls atomic.Int64 // calls refused while down

	mu      sync.Mutex
	trigger string
}

func newFaultyStore(s flow.Store) *faultyStore { return &faultyStore{Store: s} }

// failFrom takes the store down at the first call of method.
func (f *faultyStore) failFrom(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trigger = method
}

func (f *faultyStore) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trigger = ""
	f.down.Store(down)
}

func (f *faultyStore) check(method string) error {
	f.mu.Lock()
	if f.trigger != "" && f.trigger == method {
		f.trigger = ""
		f.down.Store(true)
	}
	f.mu.Unlock()
	if !f.down.Load() {
		return nil
	}
	f.calls.Add(1)
	return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3306}, Err: syscall.ECONNREFUSED}
}

func (f *faultyStore) AddPlatform(ctx context.Context, p storage.Platform) error {
	if err := f.check("AddPlatform"); err != nil {
		return err
	}
	return f.Store.AddPlatform(ctx, p)
}

func (f *faultyStore) UpdatePlatform(ctx context.Context, p storage.Platform) error {
	if err := f.check("UpdatePlatform"); err != nil {
		return err
	}
	return f.Store.UpdatePlatform(ctx, p)
}

func (f *faultyStore) Platform(ctx context.Context, componentAppID string) (storage.Platform, error) {
	if err := f.check("Platform"); err != nil {
		return *new(storage.Platform), err
	}
	return f.Store.Platform(ctx, componentAppID)
}

func (f *faultyStore) Platforms(ctx context.Context) ([]storage.Platform, error) {
	if err := f.check("Platforms"); err != nil {
		return *new([]storage.Platform), err
	}
	return f.Store.Platforms(ctx)
}

func (f *faultyStore) RemovePlatform(ctx context.Context, componentAppID string) error {
	if err := f.check("RemovePlatform"); err != nil {
		return err
	}
	return f.Store.RemovePlatform(ctx, componentAppID)
}

func (f *faultyStore) SaveTicket(ctx context.Context, t storage.Ticket) (bool, bool, error) {
	if err := f.check("SaveTicket"); err != nil {
		return false, false, err
	}
	return f.Store.SaveTicket(ctx, t)
}

func (f *faultyStore) CurrentTicket(ctx context.Context, componentAppID string) (storage.Ticket, error) {
	if err := f.check("CurrentTicket"); err != nil {
		return *new(storage.Ticket), err
	}
	return f.Store.CurrentTicket(ctx, componentAppID)
}

func (f *faultyStore) LastTicketReceivedAt(ctx context.Context, componentAppID string) (time.Time, error) {
	if err := f.check("LastTicketReceivedAt"); err != nil {
		return *new(time.Time), err
	}
	return f.Store.LastTicketReceivedAt(ctx, componentAppID)
}

func (f *faultyStore) ComponentToken(ctx context.Context, componentAppID string) (storage.ComponentToken, error) {
	if err := f.check("ComponentToken"); err != nil {
		return *new(storage.ComponentToken), err
	}
	return f.Store.ComponentToken(ctx, componentAppID)
}

func (f *faultyStore) SwapComponentToken(ctx context.Context, prev int64, next storage.ComponentToken) (storage.ComponentToken, error) {
	if err := f.check("SwapComponentToken"); err != nil {
		return *new(storage.ComponentToken), err
	}
	return f.Store.SwapComponentToken(ctx, prev, next)
}

func (f *faultyStore) ExpireComponentToken(ctx context.Context, componentAppID string, version int64, at time.Time) error {
	if err := f.check("ExpireComponentToken"); err != nil {
		return err
	}
	return f.Store.ExpireComponentToken(ctx, componentAppID, version, at)
}

func (f *faultyStore) Authorizer(ctx context.Context, componentAppID, appid string) (storage.Authorizer, error) {
	if err := f.check("Authorizer"); err != nil {
		return *new(storage.Authorizer), err
	}
	return f.Store.Authorizer(ctx, componentAppID, appid)
}

func (f *faultyStore) Authorizers(ctx context.Context, componentAppID string) ([]storage.Authorizer, error) {
	if err := f.check("Authorizers"); err != nil {
		return *new([]storage.Authorizer), err
	}
	return f.Store.Authorizers(ctx, componentAppID)
}

func (f *faultyStore) AuthorizersUpdatedSince(ctx context.Context, componentAppID string, since time.Time) ([]storage.Authorizer, error) {
	if err := f.check("AuthorizersUpdatedSince"); err != nil {
		return *new([]storage.Authorizer), err
	}
	return f.Store.AuthorizersUpdatedSince(ctx, componentAppID, since)
}

func (f *faultyStore) SaveGrant(ctx context.Context, g storage.Grant) (storage.Authorizer, error) {
	if err := f.check("SaveGrant"); err != nil {
		return *new(storage.Authorizer), err
	}
	return f.Store.SaveGrant(ctx, g)
}

func (f *faultyStore) SwapAuthorizerToken(ctx context.Context, componentAppID, appid string, prev int64, accessToken string, obtainedAt, expiresAt time.Time, refreshToken string) error {
	if err := f.check("SwapAuthorizerToken"); err != nil {
		return err
	}
	return f.Store.SwapAuthorizerToken(ctx, componentAppID, appid, prev, accessToken, obtainedAt, expiresAt, refreshToken)
}

func (f *faultyStore) RecoverRefreshToken(ctx context.Context, componentAppID, appid, token string, at time.Time) error {
	if err := f.check("RecoverRefreshToken"); err != nil {
		return err
	}
	return f.Store.RecoverRefreshToken(ctx, componentAppID, appid, token, at)
}

func (f *faultyStore) RefreshTokenHistory(ctx context.Context, componentAppID, appid string) ([]string, error) {
	if err := f.check("RefreshTokenHistory"); err != nil {
		return *new([]string), err
	}
	return f.Store.RefreshTokenHistory(ctx, componentAppID, appid)
}

func (f *faultyStore) RefreshTokens(ctx context.Context, componentAppID string) ([]storage.RefreshTokenRecord, error) {
	if err := f.check("RefreshTokens"); err != nil {
		return *new([]storage.RefreshTokenRecord), err
	}
	return f.Store.RefreshTokens(ctx, componentAppID)
}

func (f *faultyStore) SetAuthorizerInfo(ctx context.Context, componentAppID, appid, nick, userName, principal, kind, infoJSON string, at time.Time) error {
	if err := f.check("SetAuthorizerInfo"); err != nil {
		return err
	}
	return f.Store.SetAuthorizerInfo(ctx, componentAppID, appid, nick, userName, principal, kind, infoJSON, at)
}

func (f *faultyStore) SetAuthorizerStatus(ctx context.Context, componentAppID, appid, status string, from []string, lastError string, at time.Time) error {
	if err := f.check("SetAuthorizerStatus"); err != nil {
		return err
	}
	return f.Store.SetAuthorizerStatus(ctx, componentAppID, appid, status, from, lastError, at)
}

func (f *faultyStore) CreateSession(ctx context.Context, s storage.Session) error {
	if err := f.check("CreateSession"); err != nil {
		return err
	}
	return f.Store.CreateSession(ctx, s)
}

func (f *faultyStore) Session(ctx context.Context, id string) (storage.Session, error) {
	if err := f.check("Session"); err != nil {
		return *new(storage.Session), err
	}
	return f.Store.Session(ctx, id)
}

func (f *faultyStore) LatestSession(ctx context.Context, componentAppID string) (storage.Session, error) {
	if err := f.check("LatestSession"); err != nil {
		return *new(storage.Session), err
	}
	return f.Store.LatestSession(ctx, componentAppID)
}

func (f *faultyStore) SessionByPreAuthCode(ctx context.Context, componentAppID, preAuthCode string) (storage.Session, error) {
	if err := f.check("SessionByPreAuthCode"); err != nil {
		return *new(storage.Session), err
	}
	return f.Store.SessionByPreAuthCode(ctx, componentAppID, preAuthCode)
}

func (f *faultyStore) ClaimSession(ctx context.Context, id, code, source, claimant string) (storage.Session, error) {
	if err := f.check("ClaimSession"); err != nil {
		return *new(storage.Session), err
	}
	return f.Store.ClaimSession(ctx, id, code, source, claimant)
}

func (f *faultyStore) ReleaseSession(ctx context.Context, id, code string) error {
	if err := f.check("ReleaseSession"); err != nil {
		return err
	}
	return f.Store.ReleaseSession(ctx, id, code)
}

func (f *faultyStore) Exchanges(ctx context.Context, componentAppID string) ([]storage.Session, error) {
	if err := f.check("Exchanges"); err != nil {
		return *new([]storage.Session), err
	}
	return f.Store.Exchanges(ctx, componentAppID)
}

func (f *faultyStore) RetryExchange(ctx context.Context, id string, claimedAt time.Time, claimant string) (bool, error) {
	if err := f.check("RetryExchange"); err != nil {
		return *new(bool), err
	}
	return f.Store.RetryExchange(ctx, id, claimedAt, claimant)
}

func (f *faultyStore) FinishSession(ctx context.Context, id, authorizerAppID, errText string, at time.Time) error {
	if err := f.check("FinishSession"); err != nil {
		return err
	}
	return f.Store.FinishSession(ctx, id, authorizerAppID, errText, at)
}

func (f *faultyStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if err := f.check("AcquireLease"); err != nil {
		return *new(bool), err
	}
	return f.Store.AcquireLease(ctx, name, holder, now, ttl)
}

func (f *faultyStore) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := f.check("ReleaseLease"); err != nil {
		return err
	}
	return f.Store.ReleaseLease(ctx, name, holder)
}

func (f *faultyStore) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	if err := f.check("LeaseHolder"); err != nil {
		return *new(string), *new(time.Time), err
	}
	return f.Store.LeaseHolder(ctx, name)
}

func (f *faultyStore) AppendEvent(ctx context.Context, e storage.Event) error {
	if err := f.check("AppendEvent"); err != nil {
		return err
	}
	return f.Store.AppendEvent(ctx, e)
}

func (f *faultyStore) Events(ctx context.Context, componentAppID string, limit int) ([]storage.Event, error) {
	if err := f.check("Events"); err != nil {
		return *new([]storage.Event), err
	}
	return f.Store.Events(ctx, componentAppID, limit)
}

func (f *faultyStore) CountCall(ctx context.Context, componentAppID, api string, at time.Time) error {
	if err := f.check("CountCall"); err != nil {
		return err
	}
	return f.Store.CountCall(ctx, componentAppID, api, at)
}

func (f *faultyStore) CallCounts(ctx context.Context, componentAppID string, at time.Time) (map[string]int, error) {
	if err := f.check("CallCounts"); err != nil {
		return *new(map[string]int), err
	}
	return f.Store.CallCounts(ctx, componentAppID, at)
}

func (f *faultyStore) CountFault(ctx context.Context, componentAppID, kind string, at time.Time) error {
	if err := f.check("CountFault"); err != nil {
		return err
	}
	return f.Store.CountFault(ctx, componentAppID, kind, at)
}

func (f *faultyStore) FaultCounts(ctx context.Context, componentAppID string, since time.Time) (map[string]int, error) {
	if err := f.check("FaultCounts"); err != nil {
		return *new(map[string]int), err
	}
	return f.Store.FaultCounts(ctx, componentAppID, since)
}

func (f *faultyStore) RequestRenewal(ctx context.Context, componentAppID, target string, at time.Time) (int64, error) {
	if err := f.check("RequestRenewal"); err != nil {
		return *new(int64), err
	}
	return f.Store.RequestRenewal(ctx, componentAppID, target, at)
}

func (f *faultyStore) Renewal(ctx context.Context, id int64) (storage.RenewRequest, error) {
	if err := f.check("Renewal"); err != nil {
		return *new(storage.RenewRequest), err
	}
	return f.Store.Renewal(ctx, id)
}

func (f *faultyStore) PendingRenewals(ctx context.Context, componentAppID string) ([]storage.RenewRequest, error) {
	if err := f.check("PendingRenewals"); err != nil {
		return *new([]storage.RenewRequest), err
	}
	return f.Store.PendingRenewals(ctx, componentAppID)
}

func (f *faultyStore) FinishRenewal(ctx context.Context, id int64, errText string, code int, needsUser bool, at time.Time) error {
	if err := f.check("FinishRenewal"); err != nil {
		return err
	}
	return f.Store.FinishRenewal(ctx, id, errText, code, needsUser, at)
}
