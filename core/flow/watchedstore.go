package flow

import (
	"context"
	"time"

	"wxauth/storage"
)

// watchedStore is the engine's Store seen through its storeWatch: every call's outcome says
// whether the store answers. Every Store method is declared here (TestEveryStoreMethodWatched):
// one only promoted from the embedded Store would fail without the engine noticing.
type watchedStore struct {
	Store
	w *storeWatch
}

func (w *storeWatch) note(err error, write bool) error {
	w.observe(err, write)
	return err
}

type result[T any] struct {
	v   T
	err error
}

func seen[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) by(w *storeWatch, write bool) (T, error) {
	w.observe(r.err, write)
	return r.v, r.err
}

func (w watchedStore) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	holder, until, err := w.Store.LeaseHolder(ctx, name)
	w.w.observe(err, false)
	return holder, until, err
}

func (w watchedStore) AddPlatform(ctx context.Context, p storage.Platform) error {
	return w.w.note(w.Store.AddPlatform(ctx, p), true)
}

func (w watchedStore) UpdatePlatform(ctx context.Context, p storage.Platform) error {
	return w.w.note(w.Store.UpdatePlatform(ctx, p), true)
}

func (w watchedStore) Platform(ctx context.Context, componentAppID string) (storage.Platform, error) {
	return seen(w.Store.Platform(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) Platforms(ctx context.Context) ([]storage.Platform, error) {
	return seen(w.Store.Platforms(ctx)).by(w.w, false)
}

func (w watchedStore) RemovePlatform(ctx context.Context, componentAppID string) error {
	return w.w.note(w.Store.RemovePlatform(ctx, componentAppID), true)
}

func (w watchedStore) SaveTicket(ctx context.Context, t storage.Ticket) (current, repeat bool, err error) {
	current, repeat, err = w.Store.SaveTicket(ctx, t)
	w.w.observe(err, true)
	return current, repeat, err
}

func (w watchedStore) AppendEvents(ctx context.Context, evs []storage.Event) error {
	return w.w.note(w.Store.AppendEvents(ctx, evs), true)
}

func (w watchedStore) CountCalls(ctx context.Context, componentAppID string, at time.Time, n map[string]int) error {
	return w.w.note(w.Store.CountCalls(ctx, componentAppID, at, n), true)
}

func (w watchedStore) CurrentTicket(ctx context.Context, componentAppID string) (storage.Ticket, error) {
	return seen(w.Store.CurrentTicket(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) LastTicketReceivedAt(ctx context.Context, componentAppID string) (time.Time, error) {
	return seen(w.Store.LastTicketReceivedAt(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) ComponentToken(ctx context.Context, componentAppID string) (storage.ComponentToken, error) {
	return seen(w.Store.ComponentToken(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) SwapComponentToken(ctx context.Context, prev int64, next storage.ComponentToken) (storage.ComponentToken, error) {
	return seen(w.Store.SwapComponentToken(ctx, prev, next)).by(w.w, true)
}

func (w watchedStore) ExpireComponentToken(ctx context.Context, componentAppID string, version int64, at time.Time) error {
	return w.w.note(w.Store.ExpireComponentToken(ctx, componentAppID, version, at), true)
}

func (w watchedStore) Authorizer(ctx context.Context, componentAppID, appid string) (storage.Authorizer, error) {
	return seen(w.Store.Authorizer(ctx, componentAppID, appid)).by(w.w, false)
}

func (w watchedStore) Authorizers(ctx context.Context, componentAppID string) ([]storage.Authorizer, error) {
	return seen(w.Store.Authorizers(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) AuthorizersUpdatedSince(ctx context.Context, componentAppID string, since time.Time) ([]storage.Authorizer, error) {
	return seen(w.Store.AuthorizersUpdatedSince(ctx, componentAppID, since)).by(w.w, false)
}

func (w watchedStore) SaveGrant(ctx context.Context, g storage.Grant) (prev storage.Authorizer, err error) {
	return seen(w.Store.SaveGrant(ctx, g)).by(w.w, true)
}

func (w watchedStore) SwapAuthorizerToken(ctx context.Context, componentAppID, appid string, prev int64, accessToken string, obtainedAt, expiresAt time.Time, refreshToken string) error {
	err := w.Store.SwapAuthorizerToken(ctx, componentAppID, appid, prev, accessToken, obtainedAt, expiresAt, refreshToken)
	w.w.observe(err, true)
	return err
}

func (w watchedStore) RecoverRefreshToken(ctx context.Context, componentAppID, appid, token string, at time.Time) error {
	return w.w.note(w.Store.RecoverRefreshToken(ctx, componentAppID, appid, token, at), true)
}

func (w watchedStore) RefreshTokenHistory(ctx context.Context, componentAppID, appid string) ([]string, error) {
	return seen(w.Store.RefreshTokenHistory(ctx, componentAppID, appid)).by(w.w, false)
}

func (w watchedStore) RefreshTokens(ctx context.Context, componentAppID string) ([]storage.RefreshTokenRecord, error) {
	return seen(w.Store.RefreshTokens(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) SetAuthorizerInfo(ctx context.Context, componentAppID, appid, nick, userName, principal, kind, infoJSON string, at time.Time) error {
	return w.w.note(w.Store.SetAuthorizerInfo(ctx, componentAppID, appid, nick, userName, principal, kind, infoJSON, at), true)
}

func (w watchedStore) SetAuthorizerStatus(ctx context.Context, componentAppID, appid, status string, from []string, lastError string, at time.Time) error {
	return w.w.note(w.Store.SetAuthorizerStatus(ctx, componentAppID, appid, status, from, lastError, at), true)
}

func (w watchedStore) CreateSession(ctx context.Context, s storage.Session) error {
	return w.w.note(w.Store.CreateSession(ctx, s), true)
}

func (w watchedStore) Session(ctx context.Context, id string) (storage.Session, error) {
	return seen(w.Store.Session(ctx, id)).by(w.w, false)
}

func (w watchedStore) LatestSession(ctx context.Context, componentAppID string) (storage.Session, error) {
	return seen(w.Store.LatestSession(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) SessionByPreAuthCode(ctx context.Context, componentAppID, preAuthCode string) (storage.Session, error) {
	return seen(w.Store.SessionByPreAuthCode(ctx, componentAppID, preAuthCode)).by(w.w, false)
}

func (w watchedStore) ClaimSession(ctx context.Context, id, code, source, claimant string) (storage.Session, error) {
	return seen(w.Store.ClaimSession(ctx, id, code, source, claimant)).by(w.w, true)
}

func (w watchedStore) ReleaseSession(ctx context.Context, id, code string) error {
	return w.w.note(w.Store.ReleaseSession(ctx, id, code), true)
}

func (w watchedStore) Exchanges(ctx context.Context, componentAppID string) ([]storage.Session, error) {
	return seen(w.Store.Exchanges(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) RetryExchange(ctx context.Context, id string, claimedAt time.Time, claimant string) (bool, error) {
	return seen(w.Store.RetryExchange(ctx, id, claimedAt, claimant)).by(w.w, true)
}

func (w watchedStore) FinishSession(ctx context.Context, id, authorizerAppID, errText string, at time.Time) error {
	return w.w.note(w.Store.FinishSession(ctx, id, authorizerAppID, errText, at), true)
}

func (w watchedStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	return seen(w.Store.AcquireLease(ctx, name, holder, now, ttl)).by(w.w, true)
}

func (w watchedStore) ReleaseLease(ctx context.Context, name, holder string) error {
	return w.w.note(w.Store.ReleaseLease(ctx, name, holder), true)
}

func (w watchedStore) AppendEvent(ctx context.Context, e storage.Event) error {
	return w.w.note(w.Store.AppendEvent(ctx, e), true)
}

func (w watchedStore) Events(ctx context.Context, componentAppID string, limit int) ([]storage.Event, error) {
	return seen(w.Store.Events(ctx, componentAppID, limit)).by(w.w, false)
}

func (w watchedStore) CountCall(ctx context.Context, componentAppID, api string, at time.Time) error {
	return w.w.note(w.Store.CountCall(ctx, componentAppID, api, at), true)
}

func (w watchedStore) CallCounts(ctx context.Context, componentAppID string, at time.Time) (map[string]int, error) {
	return seen(w.Store.CallCounts(ctx, componentAppID, at)).by(w.w, false)
}

func (w watchedStore) CountFault(ctx context.Context, componentAppID, kind string, at time.Time) error {
	return w.w.note(w.Store.CountFault(ctx, componentAppID, kind, at), true)
}

func (w watchedStore) FaultCounts(ctx context.Context, componentAppID string, since time.Time) (map[string]int, error) {
	return seen(w.Store.FaultCounts(ctx, componentAppID, since)).by(w.w, false)
}

func (w watchedStore) RequestRenewal(ctx context.Context, componentAppID, target string, at time.Time) (int64, error) {
	return seen(w.Store.RequestRenewal(ctx, componentAppID, target, at)).by(w.w, true)
}

func (w watchedStore) Renewal(ctx context.Context, id int64) (storage.RenewRequest, error) {
	return seen(w.Store.Renewal(ctx, id)).by(w.w, false)
}

func (w watchedStore) PendingRenewals(ctx context.Context, componentAppID string) ([]storage.RenewRequest, error) {
	return seen(w.Store.PendingRenewals(ctx, componentAppID)).by(w.w, false)
}

func (w watchedStore) FinishRenewal(ctx context.Context, id int64, errText string, code int, needsUser bool, at time.Time) error {
	return w.w.note(w.Store.FinishRenewal(ctx, id, errText, code, needsUser, at), true)
}

func (w watchedStore) AddSink(ctx context.Context, s storage.Sink) (int64, error) {
	return seen(w.Store.AddSink(ctx, s)).by(w.w, true)
}

func (w watchedStore) Sinks(ctx context.Context) ([]storage.Sink, error) {
	return seen(w.Store.Sinks(ctx)).by(w.w, false)
}

func (w watchedStore) Sink(ctx context.Context, id int64) (storage.Sink, error) {
	return seen(w.Store.Sink(ctx, id)).by(w.w, false)
}

func (w watchedStore) RemoveSink(ctx context.Context, id int64) error {
	return w.w.note(w.Store.RemoveSink(ctx, id), true)
}

func (w watchedStore) SaveSinkHealth(ctx context.Context, id int64, h storage.SinkHealth) error {
	return w.w.note(w.Store.SaveSinkHealth(ctx, id, h), true)
}

func (w watchedStore) AddClient(ctx context.Context, c storage.TokenClient) error {
	return w.w.note(w.Store.AddClient(ctx, c), true)
}

func (w watchedStore) Clients(ctx context.Context) ([]storage.TokenClient, error) {
	return seen(w.Store.Clients(ctx)).by(w.w, false)
}

func (w watchedStore) Client(ctx context.Context, name string) (storage.TokenClient, error) {
	return seen(w.Store.Client(ctx, name)).by(w.w, false)
}

func (w watchedStore) RotateClientKey(ctx context.Context, name, keyHash string, at time.Time) error {
	return w.w.note(w.Store.RotateClientKey(ctx, name, keyHash, at), true)
}

func (w watchedStore) RemoveClient(ctx context.Context, name string) error {
	return w.w.note(w.Store.RemoveClient(ctx, name), true)
}

func (w watchedStore) RecordClientUse(ctx context.Context, uses []storage.ClientUse) error {
	return w.w.note(w.Store.RecordClientUse(ctx, uses), true)
}
