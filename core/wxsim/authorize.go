package wxsim

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// AuthorizeRequest approves an authorization as the merchant would on the page.
type AuthorizeRequest struct {
	ComponentAppID  string `json:"component_appid"`
	PreAuthCode     string `json:"pre_auth_code"`
	AuthorizerAppID string `json:"authorizer_appid"`
	// RedirectURI receives auth_code and expires_in; empty gives no redirect_url.
	RedirectURI string `json:"redirect_uri"`
	// CategoryIDs are the permission sets asked for (category_id_list); empty grants the
	// account's default sets.
	CategoryIDs []int `json:"category_id_list,omitempty"`
}

// AuthorizeResult is what the merchant's browser would be sent to.
type AuthorizeResult struct {
	AuthCode        string `json:"auth_code"`
	ExpiresIn       int    `json:"expires_in"`
	RedirectURL     string `json:"redirect_url"`
	AuthorizerAppID string `json:"authorizer_appid"`
	// Push is the InfoType of the push sent ("authorized", "updateauthorized"), or "" when
	// none is due (a re-authorization that changed no permission set).
	Push string `json:"push"`
}

// Default permission sets granted when category_id_list is absent: realistic sets of a
// platform that was fully released for both kinds of account.
var (
	defaultMiniProgramFuncs     = []int{17, 18, 19, 25, 30, 31, 36, 37, 40, 48, 49, 65}
	defaultOfficialAccountFuncs = []int{1, 2, 3, 4, 6, 7, 8, 11, 15, 22, 23, 24, 26, 33}
)

// funcInfo renders permission sets; some mini-program sets carry confirm_info, as real
// responses do.
func funcInfo(ids []int, miniProgram bool) []wxapi.FuncInfo {
	out := make([]wxapi.FuncInfo, 0, len(ids))
	for _, id := range ids {
		f := wxapi.NewFuncInfo(id)
		if miniProgram {
			switch id {
			case 18:
				f.ConfirmInfo = &wxapi.ConfirmInfo{}
			case 25:
				f.ConfirmInfo = &wxapi.ConfirmInfo{NeedConfirm: 1, CanConfirm: 1}
			}
		}
		out = append(out, f)
	}
	return out
}

// Authorize approves as the merchant would on the page (the Referer check aside): it consumes
// the pre_auth_code, issues an authorization code, stores the authorization (rotating the
// refresh token of an existing one) and sends the authorized / updateauthorized push in the
// background. It is what POST /sim/authorize does.
func (s *Sim) Authorize(ctx context.Context, req AuthorizeRequest) (AuthorizeResult, error) {
	if err := ctx.Err(); err != nil {
		return AuthorizeResult{}, err
	}
	req.ComponentAppID = s.defaultPlatform(req.ComponentAppID)
	if req.RedirectURI != "" {
		if _, err := parseRedirect(req.RedirectURI); err != nil {
			return AuthorizeResult{}, fmt.Errorf("%w: redirect_uri: %w", ErrBadRequest, err)
		}
	}
	s.mu.Lock()
	res, send, err := s.approve(req, nil, s.clock.Now())
	s.mu.Unlock()
	if err != nil {
		return AuthorizeResult{}, err
	}
	if send != nil {
		send()
	}
	return res, nil
}

// approve is the merchant's approval, with s.mu held. allowed, when set, restricts the
// accounts (those the page offered). send, when not nil, starts the authorized or
// updateauthorized push (already queued); call it after unlocking.
func (s *Sim) approve(req AuthorizeRequest, allowed map[string]bool, now time.Time) (_ AuthorizeResult, send func(), _ error) {
	ps, ok := s.platforms[req.ComponentAppID]
	if !ok {
		return AuthorizeResult{}, nil, fmt.Errorf("%w: %q", ErrUnknownPlatform, req.ComponentAppID)
	}
	code := s.normalizeCode(req.PreAuthCode, preAuthCodePrefix)
	pa, ok := s.preAuthCodes[code]
	if !ok || pa.component != ps.platform.ComponentAppID || pa.used || !now.Before(pa.expires) {
		return AuthorizeResult{}, nil, ErrPreAuthCode
	}
	acc, ok := s.accounts[req.AuthorizerAppID]
	if !ok {
		return AuthorizeResult{}, nil, fmt.Errorf("%w: %q", ErrUnknownAccount, req.AuthorizerAppID)
	}
	if allowed != nil && !allowed[acc.AppID] {
		return AuthorizeResult{}, nil, ErrAccountNotAllowed
	}
	pa.used = true

	infoType := s.storeAuthorization(ps.platform.ComponentAppID, acc, s.grantedFuncIDs(acc, req.CategoryIDs), now)
	authCode := s.gen.authCode()
	ttl := s.settings.AuthCodeTTL.D()
	s.authCodes[authCode] = &authCodeRec{component: ps.platform.ComponentAppID, authorizer: acc.AppID, expires: now.Add(ttl)}
	s.stats.authCodes++

	res := AuthorizeResult{AuthCode: authCode, ExpiresIn: seconds(ttl), AuthorizerAppID: acc.AppID, Push: infoType}
	if req.RedirectURI != "" {
		res.RedirectURL = mergeRedirect(req.RedirectURI, authCode, seconds(ttl))
	}
	if infoType != "" {
		send = s.queueEvent(ps.platform.ComponentAppID, wxapi.PushMessage{
			AppID:                        ps.platform.ComponentAppID,
			CreateTime:                   now.Unix(),
			InfoType:                     infoType,
			AuthorizerAppID:              acc.AppID,
			AuthorizationCode:            authCode,
			AuthorizationCodeExpiredTime: now.Add(ttl).Unix(),
			PreAuthCode:                  code,
		})
	}
	return res, send, nil
}

// grantedFuncIDs are the permission sets an approval grants: those asked for in
// category_id_list (when honoured), else the account kind's default sets; sorted, no repeats.
func (s *Sim) grantedFuncIDs(acc Account, categoryIDs []int) []int {
	ids := defaultOfficialAccountFuncs
	if acc.IsMiniProgram() {
		ids = defaultMiniProgramFuncs
	}
	if len(categoryIDs) > 0 && *s.settings.HonorCategoryIDs {
		ids = categoryIDs
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// storeAuthorization records that acc authorized the platform with the permission sets ids,
// and returns the InfoType of the push due ("" for none).
func (s *Sim) storeAuthorization(component string, acc Account, ids []int, now time.Time) string {
	key := authKey(component, acc.AppID)
	a, existed := s.authorizations[key]
	if !existed {
		s.authorizations[key] = &authorization{
			component: component, appid: acc.AppID, funcIDs: ids, authTime: now,
			refreshToken: s.gen.refreshToken(), options: defaultOptions(acc),
		}
		s.stats.authorizations++
		return wxapi.InfoTypeAuthorized
	}
	infoType := wxapi.InfoTypeUpdateAuthorized
	if slices.Equal(a.funcIDs, ids) {
		infoType = "" // updateauthorized is not sent when no permission set changed
	}
	// A new authorization of the same account changes the refresh token; the old one
	// keeps working for the grace period (reference §7), then 61023.
	a.oldRefreshToken, a.oldRefreshUntil = a.refreshToken, now.Add(s.settings.RefreshTokenGrace.D())
	a.refreshToken = s.gen.refreshToken()
	a.funcIDs = ids
	a.authTime = now
	s.stats.reauthorizations++
	return infoType
}

// Unauthorize revokes an authorization as the merchant would in WeChat: its tokens and refresh
// token stop working (61003 from then on) and the unauthorized push is sent in the background.
func (s *Sim) Unauthorize(ctx context.Context, componentAppID, authorizerAppID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	componentAppID = s.defaultPlatform(componentAppID)
	s.mu.Lock()
	if _, ok := s.platforms[componentAppID]; !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	key := authKey(componentAppID, authorizerAppID)
	a, ok := s.authorizations[key]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s has not authorized %s", ErrNotAuthorized, authorizerAppID, componentAppID)
	}
	now := s.clock.Now()
	s.revokeAuthorizerTokens(a)
	delete(s.authorizations, key)
	s.stats.revocations++
	send := s.queueEvent(componentAppID, wxapi.PushMessage{
		AppID: componentAppID, CreateTime: now.Unix(), InfoType: wxapi.InfoTypeUnauthorized, AuthorizerAppID: authorizerAppID,
	})
	s.mu.Unlock()
	send()
	return nil
}

// parseRedirect checks a redirect_uri: an absolute http(s) URL with a host.
func parseRedirect(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("must be an absolute http or https URL, got %q", clip(raw, 120))
	}
	return u, nil
}

// mergeRedirect adds auth_code and expires_in to the query of redirect_uri, before any
// fragment (https://host/#/ → https://host/?auth_code=…&expires_in=3600#/), keeping every
// other byte of it. The code is [A-Za-z0-9_@-], which needs no escaping in a query.
func mergeRedirect(redirectURI, authCode string, expiresIn int) string {
	base, frag, hasFrag := strings.Cut(redirectURI, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + "auth_code=" + authCode + "&expires_in=" + strconv.Itoa(expiresIn)
	if hasFrag {
		out += "#" + frag
	}
	return out
}
