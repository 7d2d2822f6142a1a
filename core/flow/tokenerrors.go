package flow

import (
	"context"
	"errors"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// tokenFailure turns an engine error about a credential into a TokenError. The stored state
// decides first (an authorizer's status, a missing ticket): it is right whichever process ran
// into the error; then the catalogue's class of the WeChat errcode, as this process or the lease
// holder got it.
func (e *Engine) tokenFailure(ctx context.Context, componentAppID, authorizerAppID string, err error) error {
	var te *TokenError
	if err == nil || errors.As(err, &te) || ctx.Err() != nil {
		return err
	}
	if errors.Is(err, errNoTicket) {
		return noTicketFailure(componentAppID, err)
	}
	if errors.Is(err, storage.ErrNotFound) {
		if _, perr := e.loadPlatform(ctx, componentAppID); perr != nil || authorizerAppID != "" {
			return &TokenError{Kind: FailUnknown, Msg: "no such platform or authorizer", Err: err}
		}
	}
	if authorizerAppID != "" {
		if a, lerr := e.loadAuthorizer(ctx, componentAppID, authorizerAppID); lerr == nil {
			if f := authorizerFailure(a, err); f != nil {
				return f
			}
		}
	}
	code := wxapi.ErrCode(err)
	var re *RenewalError
	if errors.As(err, &re) {
		code = re.Code
	}
	info := wxapi.Explain(code)
	switch {
	case code == wxapi.CodeNotAuthorized:
		return &TokenError{Kind: FailRevoked, Msg: authorizerAppID + " cancelled its authorization", Remedy: reauthorize(authorizerAppID), Err: err}
	case code == wxapi.CodeRefreshTokenInvalid:
		return &TokenError{Kind: FailNeedsReauth, Msg: authorizerAppID + " needs re-authorization", Remedy: reauthorize(authorizerAppID), Err: err}
	case code != 0 && info.Side == wxapi.SideIPRejected:
		return &TokenError{Kind: FailIPRejected, Msg: info.Meaning, Remedy: info.Remedy, Err: err}
	case code != 0 && info.Side == wxapi.SideQuotaUsedUp:
		return &TokenError{Kind: FailQuota, Msg: info.Meaning, Remedy: info.Remedy, Err: err}
	}
	if _, terr := e.loadTicket(ctx, componentAppID); errors.Is(terr, storage.ErrNotFound) {
		return noTicketFailure(componentAppID, err)
	}
	te = &TokenError{Kind: FailUnavailable, Msg: err.Error(), Remedy: "retry shortly; `wxauth status` and the serve log show what WeChat answered", Err: err}
	var ue *UserError
	if errors.As(err, &ue) {
		te.Msg, te.Remedy = ue.Msg, ue.Remedy
	}
	return te
}

// authorizerFailure is the failure an authorizer's stored status means, if any.
func authorizerFailure(a Authorizer, err error) error {
	switch a.Status {
	case AuthorizerRevoked:
		return &TokenError{Kind: FailRevoked, Msg: a.AppID + " cancelled its authorization" + suffix(a.LastError), Remedy: reauthorize(a.AppID), Err: err}
	case AuthorizerNeedsReauth:
		return &TokenError{Kind: FailNeedsReauth, Msg: a.AppID + " needs re-authorization" + suffix(a.LastError), Remedy: reauthorize(a.AppID), Err: err}
	case AuthorizerNoToken:
		return &TokenError{Kind: FailNeedsReauth, Msg: a.AppID + " authorized without API permission, so WeChat issued no token",
			Remedy: "ask the merchant to authorize again and grant the permission sets: " + reauthorize(a.AppID), Err: err}
	}
	return nil
}

func noTicketFailure(componentAppID string, err error) error {
	return &TokenError{Kind: FailNoTicket, Msg: "no component_verify_ticket has arrived yet for " + componentAppID,
		Remedy: "check that WeChat's pushes reach `wxauth serve` (授权事件接收URL), then run `wxauth ticket push`", Err: err}
}

func reauthorize(appid string) string {
	return "ask the merchant to authorize again: `wxauth authorize --biz-appid " + appid + "`"
}
