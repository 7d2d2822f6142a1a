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
	var pre wxapi.PreAuthCode
	err = e.componentCall(ctx, p, "api_create_preauthcode", false, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		pre, err = c.CreatePreAuthCode(ctx, token, p.ComponentAppID)
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
		if inner := errors.Unwrap(err); inner != nil {
			e.log.Info("browser not opened", "err", inner) // the system's words, for the log only
		}
		e.emit(ctx, Event{Kind: EventBrowser, Level: LevelWarn, ComponentAppID: componentAppID, Message: err.Error()})
	}
	return err
}

// Session returns an authorization session.
func (e *Engine) Session(ctx context.Context, id string) (Session, error) {
	return e.loadSession(ctx, id)
}

// WaitSession waits until a session is done or failed. It polls the database, so the code may
// be captured by any process (the console, `serve` receiving the push…). A code WeChat refused
// does not end the wait: the session is pending again until the genuine one arrives.
func (e *Engine) WaitSession(ctx context.Context, id string) (Session, error) {
	s, err := e.pollSession(ctx, id, func(s Session) bool {
		return s.State == SessionDone || s.State == SessionFailed || s.Expired(e.clock.Now())
	})
	switch {
	case err != nil:
		return s, err
	case s.State == SessionFailed:
		return s, &UserError{Msg: "authorization failed: " + s.Error, Remedy: "start a new authorization (each pre_auth_code works once)"}
	case s.State == SessionPending:
		return s, &UserError{Msg: "the pre_auth_code expired before the merchant approved", Remedy: "start a new authorization"}
	}
	return s, nil
}

// pollSession reads a session until stop says it is where the caller waits for it, or ctx ends.
func (e *Engine) pollSession(ctx context.Context, id string, stop func(Session) bool) (Session, error) {
	delay := 5 * time.Millisecond
	for {
		s, err := e.loadSession(ctx, id)
		if err != nil || stop(s) {
			return s, err
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
	for {
		s, err := e.claimSession(ctx, sessionID, code, source)
		if err == nil {
			e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: s.ComponentAppID, Message: "authorization code received from the " + source})
			return e.exchange(ctx, s, false)
		}
		if !errors.Is(err, storage.ErrConflict) {
			return Authorizer{}, err
		}
		switch s.State {
		case SessionDone:
			return e.loadAuthorizer(ctx, s.ComponentAppID, s.AuthorizerAppID)
		case SessionExchanging:
			// Another arrival holds the session: the same code by another way, or one WeChat
			// will refuse (a typo, a forgery), after which this code gets its turn.
			if _, err := e.pollSession(ctx, sessionID, func(s Session) bool { return s.State != SessionExchanging }); err != nil {
				return Authorizer{}, err
			}
		default:
			return Authorizer{}, &UserError{Msg: "this authorization session already " + string(s.State), Remedy: "start a new authorization"}
		}
	}
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
// fetches the account's info. held says whether the caller holds the platform's lease (the
// refresher resuming an exchange does): the component token is then renewed in place.
func (e *Engine) exchange(ctx context.Context, s Session, held bool) (Authorizer, error) {
	fail := func(what string, err error) (Authorizer, error) {
		return Authorizer{}, e.exchangeFailed(ctx, s, what, err, codeUnsent)
	}
	p, err := e.loadPlatform(ctx, s.ComponentAppID)
	if err != nil {
		return fail("platform", err)
	}
	var qa wxapi.QueryAuth
	attempts := 0
	err = e.componentCall(ctx, p, "api_query_auth", held, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		attempts++
		qa, err = c.QueryAuth(ctx, token, p.ComponentAppID, s.AuthCode)
		return err
	})
	if err != nil {
		// An attempt before this one (here, or in a process that stopped) may have reached
		// WeChat, which then used the code up and lost us the answer.
		s.mayBeUsed = s.mayBeUsed || attempts > 1
		return Authorizer{}, e.exchangeFailed(ctx, s, "api_query_auth", err, codeSent)
	}
	info := qa.AuthorizationInfo
	appid := info.AppID()
	now := e.clock.Now()
	grant := storage.Grant{ComponentAppID: p.ComponentAppID, AppID: appid, AccessToken: info.AuthorizerAccessToken,
		RefreshToken: info.AuthorizerRefreshToken, FuncInfo: funcIDs(info.FuncInfo), At: now, Source: s.CodeSource}
	if info.AuthorizerAccessToken != "" {
		grant.ExpiresAt = now.Add(time.Duration(info.ExpiresIn) * time.Second)
	}
	prev, err := e.db.SaveGrant(context.WithoutCancel(ctx), grant) // WeChat gave it once: commit it whatever the caller does
	if storeUnreachable(err) {
		return Authorizer{}, e.holdGrant(ctx, s, grant, err)
	}
	if err != nil {
		return Authorizer{}, e.exchangeFailed(ctx, s, "storing the authorization", err, codeAccepted)
	}
	e.fetchInfo(ctx, p, appid, held)
	if err := e.finishSession(ctx, s.ID, appid, ""); err != nil {
		return Authorizer{}, err
	}
	a, err := e.loadAuthorizer(ctx, p.ComponentAppID, appid)
	if err != nil {
		return a, err
	}
	name := a.DisplayName()
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
// held says whether the caller holds the platform's lease.
func (e *Engine) fetchInfo(ctx context.Context, p Platform, appid string, held bool) {
	info, err := e.getAuthorizerInfo(ctx, p, appid, held)
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, appid, "api_get_authorizer_info", err))
		return
	}
	e.storeInfo(ctx, p, appid, info)
}

// getAuthorizerInfo calls api_get_authorizer_info with the component token (replaced once if
// WeChat rejects it). held says whether the caller holds the platform's lease.
func (e *Engine) getAuthorizerInfo(ctx context.Context, p Platform, appid string, held bool) (wxapi.AuthorizerInfoResponse, error) {
	var info wxapi.AuthorizerInfoResponse
	err := e.componentCall(ctx, p, "api_get_authorizer_info", held, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		info, err = c.GetAuthorizerInfo(ctx, token, p.ComponentAppID, appid)
		return err
	})
	return info, err
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

// holdGrant keeps a grant the store could not take (it did not answer) until it answers, then
// writes it and finishes the session. The caller learns that the account is authorized but not
// yet stored.
func (e *Engine) holdGrant(ctx context.Context, s Session, grant storage.Grant, cause error) error {
	e.hold(ctx, heldWrite{what: "the grant of " + grant.AppID, componentAppID: grant.ComponentAppID, appid: grant.AppID,
		write: func(ctx context.Context) error {
			if _, err := e.db.SaveGrant(ctx, grant); err != nil {
				return err
			}
			var te *TransitionError
			if err := e.finishSession(ctx, s.ID, grant.AppID, ""); err != nil && !errors.As(err, &te) {
				return err
			}
			return nil
		}})
	return &UserError{Msg: grant.AppID + " authorized, but the store is unreachable: this process holds the grant in memory and writes it as soon as the store answers",
		Remedy: "bring the database back; keep this process running meanwhile (it retries, and waits up to a minute when it stops)", Err: cause}
}
