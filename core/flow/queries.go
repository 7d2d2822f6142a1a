package flow

import (
	"context"
	"errors"

	"wxauth/storage"
)

// What the faces read of a platform, beyond Snapshot: each answer in the engine's types.

// Authorizer returns an account as stored, without refreshing anything (AuthorizerToken hands
// out a valid token).
func (e *Engine) Authorizer(ctx context.Context, componentAppID, appid string) (Authorizer, error) {
	return e.authorizer(ctx, componentAppID, appid)
}

// Authorizers lists a platform's accounts by appid, as stored.
func (e *Engine) Authorizers(ctx context.Context, componentAppID string) ([]Authorizer, error) {
	return e.loadAuthorizers(ctx, componentAppID)
}

// CurrentTicket returns the platform's current ticket; ok is false when none has arrived.
func (e *Engine) CurrentTicket(ctx context.Context, componentAppID string) (t Ticket, ok bool, err error) {
	t, err = e.loadTicket(ctx, componentAppID)
	if errors.Is(err, storage.ErrNotFound) {
		return t, false, nil
	}
	return t, err == nil, err
}

// IsExisting reports whether err says that what was being added exists already.
func IsExisting(err error) bool { return errors.Is(err, storage.ErrExists) }
