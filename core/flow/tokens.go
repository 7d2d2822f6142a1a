package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// lastsEnough reports whether a stored token obtained at obtained and expiring at expires may
// be handed out as is at now: it must still live a minute, or a tenth of its lifetime when
// that is shorter (worlds with compressed lifetimes). A tenth stays inside the refresher's
// margin (a fifth), so the refresher renews short-lived tokens, not every `token` call, and a
// 40 s component token is not re-minted on every pass.
func lastsEnough(now, obtained, expires time.Time) bool {
	need := time.Minute
	if life := expires.Sub(obtained); !obtained.IsZero() && life > 0 {
		need = min(need, life/10)
	}
	return expires.Sub(now) > need
}

// ComponentToken returns a valid component_access_token, minting one under the platform's lease
// when the stored one is missing or about to expire.
func (e *Engine) ComponentToken(ctx context.Context, componentAppID string) (ComponentToken, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return ComponentToken{}, err
	}
	tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
	if err == nil && lastsEnough(e.clock.Now(), tok.ObtainedAt, tok.ExpiresAt) {
		return tok, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return tok, err
	}
	// Without a ticket nothing can mint one, here or in the lease holder: say so at once.
	if _, err := e.loadTicket(ctx, p.ComponentAppID); errors.Is(err, storage.ErrNotFound) {
		return ComponentToken{}, noTicketError(p, err)
	}
	err = e.underLease(ctx, p.ComponentAppID, targetComponent, func(ctx context.Context) error {
		cur, err := e.loadComponentToken(ctx, p.ComponentAppID)
		if err == nil && lastsEnough(e.clock.Now(), cur.ObtainedAt, cur.ExpiresAt) {
			return nil // another process renewed it while we waited
		}
		_, err = e.mintComponentToken(ctx, p, cur.version)
		return err
	}, func(ctx context.Context) (bool, error) {
		cur, err := e.loadComponentToken(ctx, p.ComponentAppID)
		return err == nil && lastsEnough(e.clock.Now(), cur.ObtainedAt, cur.ExpiresAt), nil
	})
	if err != nil {
		return ComponentToken{}, err
	}
	return e.loadComponentToken(ctx, p.ComponentAppID)
}

// mintComponentToken calls api_component_token with the current ticket and stores the result
// by compare-and-swap against prevVersion. Call it holding the lease.
func (e *Engine) mintComponentToken(ctx context.Context, p Platform, prevVersion int64) (ComponentToken, error) {
	ticket, err := e.loadTicket(ctx, p.ComponentAppID)
	if errors.Is(err, storage.ErrNotFound) {
		return ComponentToken{}, noTicketError(p, err)
	}
	if err != nil {
		return ComponentToken{}, err
	}
	now := e.clock.Now()
	if now.Sub(ticket.CreateTime) > TicketValidity {
		e.emit(ctx, Event{Kind: EventTicketStale, Level: LevelWarn, ComponentAppID: p.ComponentAppID,
			Message: fmt.Sprintf("the newest ticket is %s old, past its 12 h validity", now.Sub(ticket.CreateTime).Round(time.Minute)),
			Remedy:  "check that pushes reach " + p.PublicURL + "/wechat/events, then `wxauth ticket push`"})
	}
	var got wxapi.ComponentToken
	err = e.call(ctx, p, "api_component_token", func(ctx context.Context, c *wxapi.Client) (err error) {
		got, err = c.ComponentToken(ctx, p.ComponentAppID, p.AppSecret, ticket.Value)
		return err
	})
	if err != nil {
		e.noteFailure(p.ComponentAppID, err)
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "api_component_token", err))
		return ComponentToken{}, err
	}
	obtained := e.clock.Now()
	row, err := e.db.SwapComponentToken(ctx, prevVersion, storage.ComponentToken{
		ComponentAppID: p.ComponentAppID, Token: got.ComponentAccessToken,
		ObtainedAt: obtained, ExpiresAt: obtained.Add(time.Duration(got.ExpiresIn) * time.Second)})
	if err != nil {
		return ComponentToken{}, fmt.Errorf("storing the component token: %w", err)
	}
	tok := componentTokenOf(row)
	e.emit(ctx, Event{Kind: EventComponentToken, ComponentAppID: p.ComponentAppID,
		Message: fmt.Sprintf("component_access_token renewed, valid %s", time.Duration(got.ExpiresIn)*time.Second)})
	return tok, nil
}

// noTicketError says that no ticket has arrived, and how to get one.
func noTicketError(p Platform, err error) error {
	return &UserError{
		Msg:    "no component_verify_ticket has arrived yet for " + p.ComponentAppID,
		Remedy: "WeChat pushes one every 10 minutes to " + p.EventURL() + " once the platform is approved; ask for one now with `wxauth ticket push`, or click 全网发布",
		Err:    err}
}

// AuthorizerToken returns a valid authorizer_access_token, refreshing it under the lease when
// it is missing or about to expire.
func (e *Engine) AuthorizerToken(ctx context.Context, componentAppID, authorizerAppID string) (Authorizer, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return Authorizer{}, err
	}
	a, err := e.authorizer(ctx, p.ComponentAppID, authorizerAppID)
	if err != nil {
		return a, err
	}
	if err := usable(a); err != nil {
		return a, err
	}
	if a.AccessToken != "" && lastsEnough(e.clock.Now(), a.AccessObtainedAt, a.AccessExpiresAt) {
		return a, nil
	}
	fresh := func(ctx context.Context) (bool, error) {
		cur, err := e.loadAuthorizer(ctx, p.ComponentAppID, authorizerAppID)
		return err == nil && cur.accessVersion != a.accessVersion && lastsEnough(e.clock.Now(), cur.AccessObtainedAt, cur.AccessExpiresAt), err
	}
	err = e.underLease(ctx, p.ComponentAppID, authorizerAppID, func(ctx context.Context) error {
		cur, err := e.loadAuthorizer(ctx, p.ComponentAppID, authorizerAppID)
		if err != nil {
			return err
		}
		if lastsEnough(e.clock.Now(), cur.AccessObtainedAt, cur.AccessExpiresAt) {
			return nil
		}
		return e.refreshAuthorizer(ctx, p, cur)
	}, fresh)
	if err != nil {
		return Authorizer{}, err
	}
	a, err = e.loadAuthorizer(ctx, p.ComponentAppID, authorizerAppID)
	if err == nil {
		err = usable(a)
	}
	return a, err
}

func (e *Engine) authorizer(ctx context.Context, componentAppID, appid string) (Authorizer, error) {
	a, err := e.loadAuthorizer(ctx, componentAppID, appid)
	if errors.Is(err, storage.ErrNotFound) {
		return a, &UserError{Msg: appid + " has not authorized platform " + componentAppID,
			Remedy: "authorize it with `wxauth authorize --biz-appid " + appid + "`", Err: err}
	}
	return a, err
}

// usable says why an authorizer's token cannot be handed out, if it cannot.
func usable(a Authorizer) error {
	switch a.Status {
	case AuthorizerRevoked:
		return &UserError{Msg: a.AppID + " cancelled its authorization" + suffix(a.LastError),
			Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "`"}
	case AuthorizerNeedsReauth:
		return &UserError{Msg: a.AppID + " needs re-authorization" + suffix(a.LastError),
			Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "`"}
	case AuthorizerNoToken:
		return &UserError{Msg: a.AppID + " authorized without API permission, so WeChat issued no token",
			Remedy: "ask the merchant to authorize again and grant the permission sets"}
	}
	return nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// RefreshAuthorizer renews one authorizer's access token now, whatever its expiry. When another
// process holds the lease, that process renews it (renewals.go).
func (e *Engine) RefreshAuthorizer(ctx context.Context, componentAppID, authorizerAppID string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	if _, err := e.authorizer(ctx, p.ComponentAppID, authorizerAppID); err != nil {
		return err
	}
	return e.underLease(ctx, p.ComponentAppID, authorizerAppID, func(ctx context.Context) error {
		a, err := e.authorizer(ctx, p.ComponentAppID, authorizerAppID)
		if err != nil {
			return err
		}
		return e.refreshAuthorizer(ctx, p, a)
	}, func(context.Context) (bool, error) { return false, nil })
}

// RefreshComponentToken mints a new component token now. Each call makes WeChat invalidate the
// previous token 5 minutes later, so faces should ask before doing this.
func (e *Engine) RefreshComponentToken(ctx context.Context, componentAppID string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	if _, err := e.loadTicket(ctx, p.ComponentAppID); errors.Is(err, storage.ErrNotFound) {
		return noTicketError(p, err)
	}
	return e.underLease(ctx, p.ComponentAppID, targetComponent, func(ctx context.Context) error {
		cur, _ := e.loadComponentToken(ctx, p.ComponentAppID)
		_, err := e.mintComponentToken(ctx, p, cur.version)
		return err
	}, func(context.Context) (bool, error) { return false, nil })
}

// refreshAuthorizer calls api_authorizer_token for a and handles every failure WeChat can give.
// Call it holding the lease.
func (e *Engine) refreshAuthorizer(ctx context.Context, p Platform, a Authorizer) error {
	if a.RefreshToken == "" {
		return e.recoverRefreshToken(ctx, p, a, nil)
	}
	var got wxapi.AuthorizerToken
	err := e.componentCall(ctx, p, "api_authorizer_token", true, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		got, err = c.AuthorizerToken(ctx, token, p.ComponentAppID, a.AppID, a.RefreshToken)
		return err
	})
	switch code := wxapi.ErrCode(err); {
	case err == nil:
	case code == wxapi.CodeRefreshTokenInvalid:
		return e.recoverRefreshToken(ctx, p, a, err)
	case code == wxapi.CodeNotAuthorized:
		e.setStatus(ctx, p, a.AppID, AuthorizerRevoked, err)
		e.emit(ctx, errorEvent(EventRevoked, p.ComponentAppID, a.AppID, "api_authorizer_token", err))
		return err
	default:
		e.noteFailure(p.ComponentAppID, err)
		e.setStatus(ctx, p, a.AppID, AuthorizerError, err)
		kind := EventError
		if code == wxapi.CodeQuotaExhausted {
			kind = EventQuota
		}
		e.emit(ctx, errorEvent(kind, p.ComponentAppID, a.AppID, "api_authorizer_token", err))
		return err
	}
	now := e.clock.Now()
	if _, err := e.db.SwapAuthorizerToken(ctx, p.ComponentAppID, a.AppID, a.accessVersion, got.AuthorizerAccessToken,
		now, now.Add(time.Duration(got.ExpiresIn)*time.Second), got.AuthorizerRefreshToken); err != nil {
		return fmt.Errorf("storing the access token of %s: %w", a.AppID, err)
	}
	e.emit(ctx, Event{Kind: EventAuthorizerToken, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
		Message: fmt.Sprintf("authorizer_access_token of %s renewed, valid %s", a.AppID, time.Duration(got.ExpiresIn)*time.Second)})
	return nil
}

func (e *Engine) setStatus(ctx context.Context, p Platform, appid string, status AuthorizerStatus, cause error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
		var we *wxapi.Error
		if errors.As(cause, &we) {
			msg = fmt.Sprintf("%d %s", we.ErrCode, we.Info().Meaning)
		}
	}
	if err := e.moveAuthorizer(context.WithoutCancel(ctx), p.ComponentAppID, appid, status, msg); err != nil {
		e.log.Error("storing authorizer status failed", "err", err)
	}
}

// recoverRefreshToken looks the authorizer up in api_get_authorizer_list: WeChat returns the
// refresh token there. Only when that fails too is the merchant asked to re-authorize.
func (e *Engine) recoverRefreshToken(ctx context.Context, p Platform, a Authorizer, cause error) error {
	var list []wxapi.AuthorizerListItem
	err := e.componentCall(ctx, p, "api_get_authorizer_list", true, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		list, err = c.AllAuthorizers(ctx, token, p.ComponentAppID)
		return err
	})
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, a.AppID, "api_get_authorizer_list", err))
		return err
	}
	for _, it := range list {
		if it.AuthorizerAppID == a.AppID && it.RefreshToken != "" && it.RefreshToken != a.RefreshToken {
			if err := e.db.RecoverRefreshToken(ctx, p.ComponentAppID, a.AppID, it.RefreshToken, e.clock.Now()); storeUnreachable(err) {
				rt, at := it.RefreshToken, e.clock.Now()
				e.hold(ctx, heldWrite{what: "the recovered refresh token of " + a.AppID, componentAppID: p.ComponentAppID, appid: a.AppID,
					write: func(ctx context.Context) error {
						return e.db.RecoverRefreshToken(ctx, p.ComponentAppID, a.AppID, rt, at)
					}})
				return err
			} else if err != nil {
				return err
			}
			e.emit(ctx, Event{Kind: EventRefreshRecovered, Level: LevelWarn, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
				Message: "refresh token of " + a.AppID + " was invalid; recovered the current one from api_get_authorizer_list"})
			a.RefreshToken = it.RefreshToken
			return e.refreshAuthorizer(ctx, p, a)
		}
	}
	why := "its refresh token is invalid (61023) and api_get_authorizer_list has no newer one"
	if cause == nil {
		why = "WeChat never gave it a refresh token and api_get_authorizer_list has none"
	}
	ue := &UserError{Msg: a.AppID + " needs re-authorization: " + why,
		Remedy: "ask the merchant to authorize again: `wxauth authorize --biz-appid " + a.AppID + "` (or the console's authorize key)", Err: cause}
	e.setStatus(ctx, p, a.AppID, AuthorizerNeedsReauth, errors.New(why))
	e.emit(ctx, Event{Kind: EventNeedsReauth, Level: LevelError, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID,
		Code: wxapi.CodeRefreshTokenInvalid, Message: ue.Msg, Remedy: ue.Remedy})
	return ue
}

// validComponentToken returns the stored component token, minting one if it is unusable.
// Call it holding the lease.
func (e *Engine) validComponentToken(ctx context.Context, p Platform) (ComponentToken, error) {
	tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
	if err == nil && lastsEnough(e.clock.Now(), tok.ObtainedAt, tok.ExpiresAt) {
		return tok, nil
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return tok, err
	}
	return e.mintComponentToken(ctx, p, tok.version)
}
