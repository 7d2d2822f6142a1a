package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"wxauth/storage"
)

// The lifecycles of an authorization session and of an authorized account: their states and
// every legal move between them, in one place. The store applies a move only from a legal
// state (a conditional write), so two processes racing cannot leave an illegal one behind.

// SessionState is where an authorization session stands.
type SessionState string

// Session states (the stored values).
const (
	SessionPending    SessionState = storage.SessionPending    // waiting for the merchant to approve
	SessionExchanging SessionState = storage.SessionExchanging // a code arrived and is being exchanged
	SessionDone       SessionState = storage.SessionDone       // the account is authorized
	SessionFailed     SessionState = storage.SessionFailed     // the exchange failed; start again
)

// sessionMoves lists, for each state, the states a session may move to.
//
//	pending ──code arrives (first of redirect, push, paste)──▶ exchanging ──▶ done | failed
//	exchanging ──resumed after a stopped process──▶ exchanging
//	exchanging ──WeChat refused the code, the pre_auth_code is still valid──▶ pending
//
// The last move exists because anyone can bring a code: a mistyped paste or a forged
// redirect must not use up the merchant's authorization; the genuine code still completes it.
var sessionMoves = map[SessionState][]SessionState{
	SessionPending:    {SessionExchanging},
	SessionExchanging: {SessionExchanging, SessionDone, SessionFailed, SessionPending},
	SessionDone:       nil,
	SessionFailed:     nil,
}

// AuthorizerStatus is the stored standing of an authorized account.
type AuthorizerStatus string

// Authorizer statuses (the stored values).
const (
	AuthorizerHealthy     AuthorizerStatus = storage.StatusHealthy
	AuthorizerSuperseded  AuthorizerStatus = storage.StatusSuperseded  // its token was invalidated by another party
	AuthorizerNeedsReauth AuthorizerStatus = storage.StatusNeedsReauth // refresh token lost: the merchant must authorize again
	AuthorizerRevoked     AuthorizerStatus = storage.StatusRevoked     // the merchant cancelled the authorization
	AuthorizerNoToken     AuthorizerStatus = storage.StatusNoToken     // authorized without API permission: no tokens
	AuthorizerError       AuthorizerStatus = storage.StatusError       // the last refresh failed; see LastError
)

// authorizerMovesTo lists, for each status a failure or push sets, the statuses it may replace.
// A new grant (the merchant authorized again) and a refreshed token make any account healthy:
// WeChat just proved it works. A revoked account stays revoked until then: a later network
// failure or a stale refresh token must not hide that the merchant cancelled.
var authorizerMovesTo = map[AuthorizerStatus][]AuthorizerStatus{
	AuthorizerRevoked:     {AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerNoToken, AuthorizerError, AuthorizerRevoked},
	AuthorizerNeedsReauth: {AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerNoToken, AuthorizerError},
	AuthorizerError:       {AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerNoToken, AuthorizerError},
	AuthorizerSuperseded:  {AuthorizerHealthy, AuthorizerError},
}

// CanMove reports whether a session may move from one state to another.
func (from SessionState) CanMove(to SessionState) bool {
	return slices.Contains(sessionMoves[from], to)
}

// CanMove reports whether an account's status may be set to another by a failure or a push.
// Healthy and no-token are set only by what WeChat hands out (a grant, a refreshed token).
func (from AuthorizerStatus) CanMove(to AuthorizerStatus) bool {
	return slices.Contains(authorizerMovesTo[to], from)
}

// statusesFrom lists the stored statuses a move to `to` may start from, for the store's
// conditional write.
func statusesFrom(to AuthorizerStatus) []string {
	from := authorizerMovesTo[to]
	out := make([]string, len(from))
	for i, s := range from {
		out[i] = string(s)
	}
	return out
}

// TransitionError is a move the lifecycle forbids, e.g. an error recorded over a revocation.
type TransitionError struct {
	What     string // "session 1f…" or "authorizer wx…"
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s cannot move from %s to %s", e.What, e.From, e.To)
}

// moveAuthorizer sets an account's status with the error that led to it, if the lifecycle
// allows the move from the stored status; an illegal one is a *TransitionError.
func (e *Engine) moveAuthorizer(ctx context.Context, componentAppID, appid string, to AuthorizerStatus, lastError string) error {
	err := e.db.SetAuthorizerStatus(ctx, componentAppID, appid, string(to), statusesFrom(to), lastError, e.clock.Now())
	var sc *storage.StatusConflict
	if errors.As(err, &sc) {
		return &TransitionError{What: "authorizer " + appid, From: sc.Stored, To: string(to)}
	}
	return err
}

// finishSession moves an exchanging session to done (appid set) or failed (errText set).
func (e *Engine) finishSession(ctx context.Context, id, appid, errText string) error {
	to := SessionDone
	if errText != "" {
		to = SessionFailed
	}
	err := e.db.FinishSession(ctx, id, appid, errText, e.clock.Now())
	if errors.Is(err, storage.ErrConflict) {
		cur, _ := e.loadSession(ctx, id)
		return &TransitionError{What: "session " + id, From: string(cur.State), To: string(to)}
	}
	return err
}

// releaseSession moves a session whose code WeChat refused back to pending, if it is still
// exchanging that code; any other state is a *TransitionError.
func (e *Engine) releaseSession(ctx context.Context, id, code string) error {
	err := e.db.ReleaseSession(ctx, id, code)
	if errors.Is(err, storage.ErrConflict) {
		cur, _ := e.loadSession(ctx, id)
		return &TransitionError{What: "session " + id, From: string(cur.State), To: string(SessionPending)}
	}
	return err
}
