package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// What the token service (core/tokenapi) asks of the engine: a token that lives long enough,
// renewed under the lease when it does not, a re-mint when a client reports a token WeChat
// refused, and why a token cannot be had, in classes the API maps to its statuses. The
// classification lives here, beside the errors it reads.

// TokenFailure is why a token cannot be handed out.
type TokenFailure string

// Token failures.
const (
	FailUnknown     TokenFailure = "unknown"               // no such platform or authorizer
	FailNeedsReauth TokenFailure = "needs_reauthorization" // the merchant must authorize again
	FailRevoked     TokenFailure = "revoked"               // the merchant cancelled the authorization
	FailNoTicket    TokenFailure = "no_ticket"             // no component_verify_ticket yet
	FailIPRejected  TokenFailure = "ip_not_whitelisted"    // WeChat refuses this machine's IP
	FailQuota       TokenFailure = "quota_exhausted"       // a daily quota is used up
	FailRateLimited TokenFailure = "rate_limited"          // a re-mint of this credential was too recent
	FailUnavailable TokenFailure = "unavailable"           // WeChat or the lease holder failed; retry later
)

// TokenError says why a token cannot be handed out: Kind for programs, Msg and Remedy for people.
type TokenError struct {
	Kind       TokenFailure
	Msg        string
	Remedy     string
	RetryAfter time.Duration // FailRateLimited: when a re-mint is allowed again
	Err        error
}

func (e *TokenError) Error() string { return string(e.Kind) + ": " + e.Msg }
func (e *TokenError) Unwrap() error { return e.Err }

// ReportSpacing is the least time between two re-mints of one credential caused by reports: a
// client that keeps reporting cannot burn the daily quota. It is measured from the current
// token's ObtainedAt, which every process sharing the database sees.
const ReportSpacing = 30 * time.Second

// errNoTicket marks the errors that say no ticket has arrived.
var errNoTicket = errors.New("no component_verify_ticket")

// MinValidCap is the longest remaining life a caller may ask of a credential: half its lifetime
// (3600 s for WeChat's 2 h tokens), so that a freshly minted token always satisfies it.
func MinValidCap(c Credential) time.Duration {
	life := c.ExpiresAt.Sub(c.ObtainedAt)
	if c.ObtainedAt.IsZero() || life <= 0 {
		return time.Hour
	}
	return life / 2
}

// Servable reports whether c may be handed out at now to a caller that needs it valid for
// minValid (capped at MinValidCap): usable, with that long left, and not yet due for renewal
// (a token past the refresher's margin is about to be replaced).
func (e *Engine) Servable(c Credential, now time.Time, minValid time.Duration) bool {
	if !c.Usable(now) {
		return false
	}
	key := "component/" + c.ComponentAppID
	if !c.IsComponent() {
		key = "authorizer/" + c.AuthorizerAppID
	}
	return c.ExpiresAt.Sub(now) >= min(minValid, MinValidCap(c)) && !e.policy.Due(now, key, c.ObtainedAt, c.ExpiresAt)
}

// TokenValidFor returns the credential ("" = the component token) valid for at least minValid,
// renewing it under the platform's lease first when the stored one is not servable (through
// the lease holder when another process holds it).
func (e *Engine) TokenValidFor(ctx context.Context, componentAppID, authorizerAppID string, minValid time.Duration) (Credential, error) {
	cur, err := e.storedCredential(ctx, componentAppID, authorizerAppID)
	if err != nil {
		return cur, e.tokenFailure(ctx, componentAppID, authorizerAppID, err)
	}
	if e.Servable(cur, e.clock.Now(), minValid) {
		return cur, nil
	}
	if err := e.renewable(ctx, cur); err != nil {
		return cur, err
	}
	servable := func(ctx context.Context) (bool, error) {
		c, err := e.storedCredential(ctx, componentAppID, authorizerAppID)
		return err == nil && e.Servable(c, e.clock.Now(), minValid), err
	}
	err = e.renewUnderLease(ctx, cur, func(c Credential) bool { return !e.Servable(c, e.clock.Now(), minValid) }, servable)
	if err == nil {
		cur, err = e.storedCredential(ctx, componentAppID, authorizerAppID)
	}
	if err == nil && !e.Servable(cur, e.clock.Now(), minValid) {
		err = fmt.Errorf("the renewed token of %s is not valid for %s", credentialName(cur), minValid)
	}
	return cur, e.tokenFailure(ctx, componentAppID, authorizerAppID, err)
}

// ReportInvalid handles a client's report that WeChat refused token (40001/40014/42001). When
// it is still the current token it is re-minted once, by compare-and-swap (a report racing
// another re-mint does not cause a second one), and the audit log records who reported it; when
// it was replaced already, the current token is returned without calling WeChat. reminted says
// which happened.
func (e *Engine) ReportInvalid(ctx context.Context, componentAppID, authorizerAppID, token, reporter string) (c Credential, reminted bool, err error) {
	cur, err := e.storedCredential(ctx, componentAppID, authorizerAppID)
	if err != nil {
		return cur, false, e.tokenFailure(ctx, componentAppID, authorizerAppID, err)
	}
	if cur.Token != token {
		if cur.Usable(e.clock.Now()) {
			return cur, false, nil
		}
		c, err := e.TokenValidFor(ctx, componentAppID, authorizerAppID, 0)
		return c, false, err
	}
	if err := e.renewable(ctx, cur); err != nil {
		return cur, false, err
	}
	if age := e.clock.Now().Sub(cur.ObtainedAt); age < ReportSpacing {
		return cur, false, &TokenError{Kind: FailRateLimited, RetryAfter: ReportSpacing - age,
			Msg:    fmt.Sprintf("the token of %s was minted %s ago; it is re-minted at most once per %s", credentialName(cur), age.Round(time.Second), ReportSpacing),
			Remedy: "if WeChat still refuses it after a retry, check that no other program refreshes this token (two refreshers invalidate each other's tokens)"}
	}
	e.emit(ctx, Event{Kind: EventReportedInvalid, Level: LevelWarn, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
		Message: credentialName(cur) + " reported invalid by client " + Printable(reporter) + "; minting a new one"})
	replaced := func(ctx context.Context) (bool, error) {
		c, err := e.storedCredential(ctx, componentAppID, authorizerAppID)
		return err == nil && c.Token != token, err
	}
	err = e.renewUnderLease(ctx, cur, func(c Credential) bool { return c.Token == token }, replaced)
	if err == nil {
		cur, err = e.storedCredential(ctx, componentAppID, authorizerAppID)
	}
	return cur, err == nil, e.tokenFailure(ctx, componentAppID, authorizerAppID, err)
}

// renewUnderLease renews c's credential under the lease when stillNeeded holds for the stored
// one (checked again holding the lease: another process may have renewed it meanwhile); done
// tells a waiting non-holder that the work is done.
func (e *Engine) renewUnderLease(ctx context.Context, c Credential, stillNeeded func(Credential) bool, done func(context.Context) (bool, error)) error {
	p, err := e.Platform(ctx, c.ComponentAppID)
	if err != nil {
		return err
	}
	target := c.AuthorizerAppID
	if c.IsComponent() {
		target = targetComponent
	}
	return e.underLease(ctx, p.ComponentAppID, target, func(ctx context.Context) error {
		if c.IsComponent() {
			tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if err == nil && !stillNeeded(Credential{ComponentAppID: p.ComponentAppID, Token: tok.Token, ObtainedAt: tok.ObtainedAt, ExpiresAt: tok.ExpiresAt}) {
				return nil
			}
			_, err = e.mintComponentToken(ctx, p, tok.version)
			return err
		}
		a, err := e.authorizer(ctx, p.ComponentAppID, c.AuthorizerAppID)
		if err != nil {
			return err
		}
		if !stillNeeded(credentialOf(a)) {
			return nil
		}
		if err := usable(a); err != nil {
			return err
		}
		return e.refreshAuthorizer(ctx, p, a)
	}, done)
}

// renewable says why c cannot be renewed without the user (and WeChat is not called): the
// merchant must act, no ticket has arrived, or a platform-wide error paused the platform.
func (e *Engine) renewable(ctx context.Context, c Credential) error {
	if c.IsComponent() {
		if _, err := e.loadTicket(ctx, c.ComponentAppID); err != nil {
			return e.tokenFailure(ctx, c.ComponentAppID, "", err)
		}
	}
	if b, paused := e.pausedUntil(c.ComponentAppID); paused {
		return e.tokenFailure(ctx, c.ComponentAppID, c.AuthorizerAppID, &wxapi.Error{ErrCode: b.code})
	}
	if code := e.pausedByLog(ctx, c.ComponentAppID); code != 0 {
		return e.tokenFailure(ctx, c.ComponentAppID, c.AuthorizerAppID, &wxapi.Error{ErrCode: code})
	}
	if !c.IsComponent() && (c.Status == AuthorizerRevoked || c.Status == AuthorizerNeedsReauth || c.Status == AuthorizerNoToken) {
		return e.tokenFailure(ctx, c.ComponentAppID, c.AuthorizerAppID, errors.New("not usable"))
	}
	return nil
}

// pausedByLog is the errcode of a platform-wide failure any process logged that still pauses
// the platform (the catalogue's pause, as pausedUntil applies it in the process that met it),
// unless a token was obtained (or the quota cleared) since: a process that is not the lease
// holder then answers at once instead of asking the holder to call WeChat into the same wall.
func (e *Engine) pausedByLog(ctx context.Context, componentAppID string) int {
	evs, err := e.Events(ctx, componentAppID, outcomesRead)
	if err != nil {
		return 0
	}
	now := e.clock.Now()
	for _, ev := range evs {
		switch {
		case ev.Kind == EventComponentToken || ev.Kind == EventAuthorizerToken || ev.Kind == EventQuotaCleared:
			return 0
		case ev.Code != 0 && now.Before(blockFor(ev.At, ev.Code)):
			return ev.Code
		}
	}
	return 0
}

// storedCredential reads a credential from the store (not the feed: this is the slow path).
func (e *Engine) storedCredential(ctx context.Context, componentAppID, authorizerAppID string) (Credential, error) {
	if _, err := e.loadPlatform(ctx, componentAppID); err != nil {
		return Credential{}, err
	}
	if authorizerAppID == "" {
		c := Credential{ComponentAppID: componentAppID}
		tok, err := e.loadComponentToken(ctx, componentAppID)
		if errors.Is(err, storage.ErrNotFound) {
			return c, nil // none yet: not usable, renewable
		}
		c.Token, c.ObtainedAt, c.ExpiresAt = tok.Token, tok.ObtainedAt, tok.ExpiresAt
		return c, err
	}
	a, err := e.loadAuthorizer(ctx, componentAppID, authorizerAppID)
	return credentialOf(a), err
}

func credentialOf(a Authorizer) Credential {
	return Credential{ComponentAppID: a.ComponentAppID, AuthorizerAppID: a.AppID, Token: a.AccessToken,
		ObtainedAt: a.AccessObtainedAt, ExpiresAt: a.AccessExpiresAt, Status: a.Status, RefreshToken: a.RefreshToken}
}

func credentialName(c Credential) string {
	if c.IsComponent() {
		return "the component_access_token of " + c.ComponentAppID
	}
	return "the authorizer_access_token of " + c.AuthorizerAppID
}

// CallsToday counts the platform's WeChat API calls in today's quota day, by every process.
func (e *Engine) CallsToday(ctx context.Context, componentAppID string) (map[string]int, error) {
	return e.db.CallCounts(ctx, componentAppID, e.clock.Now())
}

// Logger is the engine's logger, for consumers that log beside it (never secrets).
func (e *Engine) Logger() *slog.Logger { return e.log }

// AddrInUse reports whether a listen failed because another program has the port.
func AddrInUse(err error) bool { return addrInUse(err) }
