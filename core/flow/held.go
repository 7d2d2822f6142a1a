package flow

// Credentials WeChat handed out once, held in memory while the store cannot take them: a grant
// from api_query_auth (or an import), a refresh token recovered from api_get_authorizer_list, a
// token pair from api_authorizer_token. The keeper (keeper.go) writes them in the order they
// came, as soon as the store answers, without ever replacing a newer stored value.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"wxauth/storage"
)

// What a held credential is.
const (
	heldGrant     = "grant"         // api_query_auth, or an account adopted from the list
	heldRecovered = "refresh token" // recovered from api_get_authorizer_list
	heldToken     = "access token"  // api_authorizer_token (with the refresh token it returned)
)

type heldItem struct {
	kind                  string
	componentAppID, appid string
	at                    time.Time // when WeChat handed it out
	grant                 storage.Grant
	sessionID             string // the session whose exchange gave the grant, if any
	refreshToken          string // heldRecovered, heldToken
	access                string // heldToken
	obtained, expires     time.Time
	attempts              int
	lastErr               string
}

func (it *heldItem) String() string {
	return fmt.Sprintf("the %s of %s (from WeChat at %s)", it.kind, it.appid, it.at.Format(time.DateTime))
}

// HeldCredential is a credential WeChat handed out that the store could not take yet; it is
// written as soon as the store answers.
type HeldCredential struct {
	ComponentAppID  string
	AuthorizerAppID string
	What            string    // "grant", "refresh token" or "access token"
	Since           time.Time // when WeChat handed it out
	Attempts        int       // writes tried since
	LastError       string
}

// HeldError says that WeChat handed out a credential the store could not take: it is held in
// memory and written when the store answers. Nothing was lost, but this process must keep
// running until then.
type HeldError struct {
	What string // e.g. "the grant of wx123…"
	Err  error
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s could not be stored (%v); it is held in memory and written as soon as the store answers: keep this wxauth running until then", e.What, e.Err)
}

func (e *HeldError) Unwrap() error { return e.Err }

// heldQueue is the engine's held credentials, oldest first.
type heldQueue struct {
	mu      sync.Mutex
	items   []*heldItem
	written int  // written since the keeper started
	running bool // a keeper runs
}

func (q *heldQueue) push(it *heldItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, it)
}

func (q *heldQueue) first() *heldItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil
	}
	return q.items[0]
}

func (q *heldQueue) done(it *heldItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 && q.items[0] == it {
		q.items = q.items[1:]
		q.written++
	}
}

func (q *heldQueue) failed(it *heldItem, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	it.attempts++
	it.lastErr = err.Error()
}

func (q *heldQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// givenOnce reports whether a held credential is one WeChat gives only once (a grant, a
// recovered refresh token): shutdown waits longer for those.
func (q *heldQueue) givenOnce() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.kind != heldToken {
			return true
		}
	}
	return false
}

func (q *heldQueue) list() []HeldCredential {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]HeldCredential, 0, len(q.items))
	for _, it := range q.items {
		out = append(out, HeldCredential{ComponentAppID: it.componentAppID, AuthorizerAppID: it.appid, What: it.kind,
			Since: it.at, Attempts: it.attempts, LastError: it.lastErr})
	}
	return out
}

func (q *heldQueue) names() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.items))
	for _, it := range q.items {
		out = append(out, it.String())
	}
	return out
}

// session reports whether a held grant came from the session id: its exchange is over, and
// only the write is missing.
func (q *heldQueue) session(id string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.sessionID == id {
			return true
		}
	}
	return false
}

// tokens are the access tokens held, newest last, for the token feed to serve while the store
// cannot (WeChat ends the previous token 5 minutes after a new one).
func (q *heldQueue) tokens() []Credential {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Credential
	for _, it := range q.items {
		switch {
		case it.kind == heldToken:
			out = append(out, Credential{ComponentAppID: it.componentAppID, AuthorizerAppID: it.appid, Token: it.access,
				ObtainedAt: it.obtained, ExpiresAt: it.expires, Status: AuthorizerHealthy, RefreshToken: it.refreshToken})
		case it.kind == heldGrant && it.grant.AccessToken != "":
			out = append(out, Credential{ComponentAppID: it.componentAppID, AuthorizerAppID: it.appid, Token: it.grant.AccessToken,
				ObtainedAt: it.grant.At, ExpiresAt: it.grant.ExpiresAt, Status: AuthorizerHealthy, RefreshToken: it.grant.RefreshToken})
		}
	}
	return out
}

// holdable reports whether a failed write of a credential WeChat handed out should be held and
// retried: any store failure but a refusal about the data (a conflict: a newer value is
// stored; a row not found: the account or platform was removed).
func holdable(err error) bool {
	return err != nil && !errors.Is(err, storage.ErrConflict) && !errors.Is(err, storage.ErrNotFound)
}

// hold keeps it for the keeper, tells subscribers, and returns the error for the caller.
func (e *Engine) hold(ctx context.Context, it *heldItem, err error) error {
	it.lastErr = err.Error()
	e.held.push(it)
	e.watch.log.Error("credential held in memory: the store did not take it", "what", it.kind, "authorizer_appid", it.appid, "err", err)
	cause, _ := splitRemedy(err)
	e.notify(ctx, Event{At: e.clock.Now(), Kind: EventCredentialHeld, Level: LevelError, ComponentAppID: it.componentAppID,
		AuthorizerAppID: it.appid, Message: it.String() + " could not be stored (" + cause + "); it is held in memory and written as soon as the store answers",
		Remedy: "keep this wxauth running until then; " + StoreHealth{}.Remedy()})
	e.startKeeper()
	return &HeldError{What: it.String(), Err: err}
}

// saveGrant commits a grant, holding it when the store fails. sessionID names the session the
// grant finishes ("" for an import).
func (e *Engine) saveGrant(ctx context.Context, g storage.Grant, sessionID string) (storage.Authorizer, error) {
	prev, err := e.db.SaveGrant(context.WithoutCancel(ctx), g) // WeChat gave it once: commit it whatever the caller does
	if holdable(err) {
		return prev, e.hold(ctx, &heldItem{kind: heldGrant, componentAppID: g.ComponentAppID, appid: g.AppID, at: g.At,
			grant: g, sessionID: sessionID}, err)
	}
	return prev, err
}

// saveRecovered commits a refresh token recovered from api_get_authorizer_list, holding it
// when the store fails.
func (e *Engine) saveRecovered(ctx context.Context, componentAppID, appid, token string, at time.Time) error {
	err := e.db.RecoverRefreshToken(context.WithoutCancel(ctx), componentAppID, appid, token, at)
	if holdable(err) {
		return e.hold(ctx, &heldItem{kind: heldRecovered, componentAppID: componentAppID, appid: appid, at: at, refreshToken: token}, err)
	}
	return err
}

// saveToken commits what api_authorizer_token returned by compare-and-swap against a's
// version, holding it when the store fails (a conflict is returned: a newer token is stored).
// A refresh token equal to a's is not written again: WeChat mostly returns the one it was
// given, and then the swap is one UPDATE.
func (e *Engine) saveToken(ctx context.Context, a Authorizer, access string, obtained, expires time.Time, refreshToken string) error {
	changed := refreshToken
	if changed == a.RefreshToken {
		changed = ""
	}
	err := e.db.SwapAuthorizerToken(context.WithoutCancel(ctx), a.ComponentAppID, a.AppID, a.accessVersion, access, obtained, expires, changed)
	if holdable(err) {
		return e.hold(ctx, &heldItem{kind: heldToken, componentAppID: a.ComponentAppID, appid: a.AppID, at: obtained,
			access: access, obtained: obtained, expires: expires, refreshToken: refreshToken}, err)
	}
	return err
}

// StoreUnreachable reports whether err says the store did not answer, and since when (for a
// server database, when its calls began to fail; else now).
func StoreUnreachable(err error) (since time.Time, ok bool) {
	var ue *storage.UnreachableError
	if errors.As(err, &ue) {
		return ue.Since, true
	}
	if StoreUnavailable(err) {
		return time.Now(), true
	}
	return time.Time{}, false
}
