package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// Code sources, in the order they usually arrive.
const (
	SourceRedirect = "redirect"
	SourcePush     = "push"
	SourcePaste    = "paste"
)

// StartAuthorization creates a pre_auth_code and a session with both links. The merchant opens
// LaunchURL (our page on the registered domain), whose link carries the Referer WeChat demands.
func (e *Engine) StartAuthorization(ctx context.Context, componentAppID string, opts AuthOptions) (Authorization, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return Authorization{}, err
	}
	compToken, err := e.ComponentToken(ctx, p.ComponentAppID)
	if err != nil {
		return Authorization{}, err
	}
	var pre wxapi.PreAuthCode
	err = e.call(ctx, p, "api_create_preauthcode", func(ctx context.Context, c *wxapi.Client) (err error) {
		pre, err = c.CreatePreAuthCode(ctx, compToken.Token, p.ComponentAppID)
		return err
	})
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "api_create_preauthcode", err))
		return Authorization{}, err
	}
	id := e.randomID(16) // 128 bits: unguessable, and claimed at most once
	now := e.clock.Now()
	link := wxapi.LinkOptions{
		LoginBase: p.LoginBase, MobileBase: p.MobileBase, ComponentAppID: p.ComponentAppID,
		PreAuthCode: pre.PreAuthCode, RedirectURI: p.PublicURL + "/wechat/auth/callback?session=" + id,
		AuthType: opts.AuthType, BizAppID: opts.BizAppID, CategoryIDs: opts.CategoryIDs,
	}
	s := Session{
		ID: id, ComponentAppID: p.ComponentAppID, PreAuthCode: pre.PreAuthCode,
		PreAuthExpiresAt: now.Add(time.Duration(pre.ExpiresIn) * time.Second),
		PCLink:           wxapi.PCLink(link), MobileLink: wxapi.MobileLink(link), CreatedAt: now,
	}
	if err := e.db.CreateSession(ctx, s.row()); err != nil {
		return Authorization{}, err
	}
	s.State = SessionPending
	e.emit(ctx, Event{Kind: EventSessionStarted, ComponentAppID: p.ComponentAppID,
		Message: fmt.Sprintf("authorization started; the pre_auth_code is single use and valid %s", time.Duration(pre.ExpiresIn)*time.Second)})
	return Authorization{Session: s, LaunchURL: e.LaunchURL(p, id)}, nil
}

// LaunchURL is our launch page for a session.
func (e *Engine) LaunchURL(p Platform, sessionID string) string {
	return p.PublicURL + "/wechat/auth/start?session=" + url.QueryEscape(sessionID)
}

// OpenBrowser opens the launch page in the system browser; the error says what to do instead.
func (e *Engine) OpenBrowser(ctx context.Context, componentAppID, launchURL string) error {
	err := e.browser(launchURL)
	if err != nil {
		e.emit(ctx, Event{Kind: EventBrowser, Level: LevelWarn, ComponentAppID: componentAppID, Message: err.Error()})
	}
	return err
}

// Session returns an authorization session.
func (e *Engine) Session(ctx context.Context, id string) (Session, error) {
	return e.loadSession(ctx, id)
}

// WaitSession waits until a session is done or failed. It polls the database, so the code may
// be captured by any process (the console, `serve` receiving the push…).
func (e *Engine) WaitSession(ctx context.Context, id string) (Session, error) {
	delay := 5 * time.Millisecond
	for {
		s, err := e.loadSession(ctx, id)
		if err != nil {
			return s, err
		}
		switch s.State {
		case SessionDone:
			return s, nil
		case SessionFailed:
			return s, &UserError{Msg: "authorization failed: " + s.Error, Remedy: "start a new authorization (each pre_auth_code works once)"}
		}
		if s.State == SessionPending && e.clock.Now().After(s.PreAuthExpiresAt) {
			return s, &UserError{Msg: "the pre_auth_code expired before the merchant approved", Remedy: "start a new authorization"}
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond) // quick while an exchange is finishing, gentle after
	}
}

// CaptureCode finishes a session with a code from the redirect, a push or a paste, whichever
// arrives first; later arrivals for the same session are ignored. It exchanges the code, stores
// the grant and the account info, and returns the authorizer.
func (e *Engine) CaptureCode(ctx context.Context, sessionID, code, source string) (Authorizer, error) {
	// The callback is reachable by anyone: check the id's shape and read before any write, so
	// requests with made-up ids cost no write transaction.
	if !validSessionID(sessionID) {
		return Authorizer{}, &UserError{Msg: "this address does not name an authorization session", Remedy: "start a new authorization"}
	}
	if s, err := e.loadSession(ctx, sessionID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return Authorizer{}, &UserError{Msg: "unknown authorization session", Remedy: "start a new authorization", Err: err}
		}
		return Authorizer{}, err
	} else if s.State == SessionDone {
		return e.loadAuthorizer(ctx, s.ComponentAppID, s.AuthorizerAppID)
	}
	s, err := e.claimSession(ctx, sessionID, code, source)
	if errors.Is(err, storage.ErrConflict) {
		if s.State == SessionDone {
			return e.loadAuthorizer(ctx, s.ComponentAppID, s.AuthorizerAppID)
		}
		if s.State == SessionExchanging {
			done, err := e.WaitSession(ctx, sessionID)
			if err != nil {
				return Authorizer{}, err
			}
			return e.loadAuthorizer(ctx, done.ComponentAppID, done.AuthorizerAppID)
		}
		return Authorizer{}, &UserError{Msg: "this authorization session already " + string(s.State), Remedy: "start a new authorization"}
	}
	if err != nil {
		return Authorizer{}, err
	}
	e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: s.ComponentAppID, Message: "authorization code received from the " + source})
	return e.exchange(ctx, s)
}

// AuthorizeWithCode completes an authorization from whatever the user pasted: the redirected URL (any
// form, hash routers included) or the bare code. It finishes the session named in the URL, else
// the newest pending one, else a new record (a code from an authorization started elsewhere).
func (e *Engine) AuthorizeWithCode(ctx context.Context, componentAppID, input string) (Authorizer, error) {
	ac, err := wxapi.ParseAuthCode(input)
	if err != nil {
		return Authorizer{}, &UserError{Msg: err.Error(), Remedy: "paste the whole address the browser shows after approving, or the queryauthcode@@@… value", Err: err}
	}
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return Authorizer{}, err
	}
	id := ""
	if u, err := url.Parse(strings.TrimSpace(input)); err == nil {
		id = u.Query().Get("session")
	}
	if id == "" {
		// A bare code belongs to the authorization the user is waiting on, if there is one.
		if s, err := e.latestSession(ctx, p.ComponentAppID); err == nil && s.State == SessionPending &&
			e.clock.Now().Before(s.PreAuthExpiresAt) {
			id = s.ID
		}
	}
	if id == "" {
		id = e.randomID(16)
		now := e.clock.Now()
		if err := e.db.CreateSession(ctx, Session{ID: id, ComponentAppID: p.ComponentAppID, PreAuthCode: "pasted:" + id,
			PreAuthExpiresAt: now, CreatedAt: now}.row()); err != nil {
			return Authorizer{}, err
		}
	}
	return e.CaptureCode(ctx, id, ac.Code, SourcePaste)
}

// exchange calls api_query_auth, commits what WeChat returned before anything else, then
// fetches the account's info.
func (e *Engine) exchange(ctx context.Context, s Session) (Authorizer, error) {
	fail := func(what string, err error) (Authorizer, error) {
		ev := errorEvent(EventError, s.ComponentAppID, "", what, err)
		if ferr := e.finishSession(context.WithoutCancel(ctx), s.ID, "", ev.Message); ferr != nil {
			e.log.Error("finishing session failed", "err", ferr)
		}
		e.emit(ctx, ev)
		if code := wxapi.ErrCode(err); code == wxapi.CodeAuthCodeExpired || code == wxapi.CodeAuthCodeInvalid {
			return Authorizer{}, &UserError{Msg: ev.Message, Remedy: ev.Remedy, Err: err}
		}
		return Authorizer{}, err
	}
	p, err := e.loadPlatform(ctx, s.ComponentAppID)
	if err != nil {
		return fail("platform", err)
	}
	compToken, err := e.ComponentToken(ctx, p.ComponentAppID)
	if err != nil {
		return fail("component token", err)
	}
	var qa wxapi.QueryAuth
	err = e.call(ctx, p, "api_query_auth", func(ctx context.Context, c *wxapi.Client) (err error) {
		qa, err = c.QueryAuth(ctx, compToken.Token, p.ComponentAppID, s.AuthCode)
		return err
	})
	if err != nil {
		return fail("api_query_auth", err)
	}
	info := qa.AuthorizationInfo
	appid := info.AppID()
	now := e.clock.Now()
	grant := storage.Grant{ComponentAppID: p.ComponentAppID, AppID: appid, AccessToken: info.AuthorizerAccessToken,
		RefreshToken: info.AuthorizerRefreshToken, FuncInfo: funcIDs(info.FuncInfo), At: now, Source: s.CodeSource}
	if info.AuthorizerAccessToken != "" {
		grant.ExpiresAt = now.Add(time.Duration(info.ExpiresIn) * time.Second)
	}
	prev, err := e.db.SaveGrant(ctx, grant)
	if err != nil {
		return fail("storing the authorization", err)
	}
	e.fetchInfo(ctx, p, compToken.Token, appid)
	if err := e.finishSession(ctx, s.ID, appid, ""); err != nil {
		return Authorizer{}, err
	}
	a, err := e.loadAuthorizer(ctx, p.ComponentAppID, appid)
	if err != nil {
		return a, err
	}
	name := appid
	if a.NickName != "" {
		name = a.NickName + " (" + appid + ")"
	}
	if prev.AppID == "" {
		e.emit(ctx, Event{Kind: EventAuthorized, ComponentAppID: p.ComponentAppID, AuthorizerAppID: appid,
			Message: fmt.Sprintf("%s authorized with %d permission sets", name, len(grant.FuncInfo))})
	} else {
		e.emit(ctx, Event{Kind: EventAuthorized, ComponentAppID: p.ComponentAppID, AuthorizerAppID: appid,
			Message: name + " re-authorized; tokens replaced"})
		if added, removed := diff(prev.FuncInfo, grant.FuncInfo); len(added)+len(removed) > 0 {
			e.emit(ctx, Event{Kind: EventPermissionsChanged, ComponentAppID: p.ComponentAppID, AuthorizerAppID: appid,
				Message: fmt.Sprintf("permission sets of %s changed: added %s, removed %s", name, FuncNames(added), FuncNames(removed))})
		}
	}
	return a, nil
}

// fetchInfo stores api_get_authorizer_info; a failure is reported but does not undo the grant.
func (e *Engine) fetchInfo(ctx context.Context, p Platform, compToken, appid string) {
	var info wxapi.AuthorizerInfoResponse
	err := e.call(ctx, p, "api_get_authorizer_info", func(ctx context.Context, c *wxapi.Client) (err error) {
		info, err = c.GetAuthorizerInfo(ctx, compToken, p.ComponentAppID, appid)
		return err
	})
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, appid, "api_get_authorizer_info", err))
		return
	}
	e.storeInfo(ctx, p, appid, info)
}

// storeInfo stores what api_get_authorizer_info said about a stored account.
func (e *Engine) storeInfo(ctx context.Context, p Platform, appid string, info wxapi.AuthorizerInfoResponse) {
	kind := "officialaccount"
	if info.AuthorizerInfo.IsMiniProgram() {
		kind = "miniprogram"
	}
	raw, _ := json.Marshal(info.AuthorizerInfo)
	ai := info.AuthorizerInfo
	if err := e.db.SetAuthorizerInfo(ctx, p.ComponentAppID, appid, ai.NickName, ai.UserName, ai.PrincipalName, kind, string(raw), e.clock.Now()); err != nil {
		e.log.Error("storing authorizer info failed", "err", err)
	}
	// The info response carries the refresh token too; keep it if ours is missing.
	if rt := info.AuthorizationInfo.AuthorizerRefreshToken; rt != "" {
		if a, err := e.loadAuthorizer(ctx, p.ComponentAppID, appid); err == nil && a.RefreshToken == "" {
			_ = e.db.RecoverRefreshToken(ctx, p.ComponentAppID, appid, rt, e.clock.Now())
		}
	}
}

func funcIDs(fs []wxapi.FuncInfo) []int {
	ids := make([]int, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.FuncscopeCategory.ID)
	}
	slices.Sort(ids)
	return ids
}

func diff(old, cur []int) (added, removed []int) {
	for _, id := range cur {
		if !slices.Contains(old, id) {
			added = append(added, id)
		}
	}
	for _, id := range old {
		if !slices.Contains(cur, id) {
			removed = append(removed, id)
		}
	}
	return added, removed
}

// FuncNames renders permission-set ids with their names, e.g. "1 消息管理, 17 帐号管理".
func FuncNames(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id) + " " + FuncName(id)
	}
	return strings.Join(parts, ", ")
}

// validSessionID reports whether id has the shape randomID(16) gives: 32 lowercase hex digits.
func validSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
