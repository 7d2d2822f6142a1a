package wxsim_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

func TestComponentTokenErrors(t *testing.T) {
	e := newEnv(t, nil)
	other := wxsim.DefaultWorld().Accounts[0].AppID
	tests := []struct {
		name                  string
		appid, secret, ticket string
		code                  int
	}{
		{"wrong secret", e.p.ComponentAppID, strings.Repeat("0", 32), e.ticket(), 40125},
		{"missing secret", e.p.ComponentAppID, "", e.ticket(), 41004},
		{"wrong ticket", e.p.ComponentAppID, e.p.ComponentAppSecret, "ticket@@@" + strings.Repeat("A", 86), 61006},
		{"empty ticket", e.p.ComponentAppID, e.p.ComponentAppSecret, "", 61006},
		{"unknown appid", "wx0000000000000000", e.p.ComponentAppSecret, e.ticket(), 40013},
		{"not a component", other, e.p.ComponentAppSecret, e.ticket(), 61011},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.ComponentToken(e.ctx, tt.appid, tt.secret, tt.ticket)
			wantCode(t, err, tt.code)
		})
	}
	// A bare ticket (without ticket@@@) is accepted, as codes are (UNCONFIRMED, configurable).
	bare := strings.TrimPrefix(e.ticket(), "ticket@@@")
	if _, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, bare); err != nil {
		t.Errorf("bare ticket: %v", err)
	}
}

func TestTicketValidity(t *testing.T) {
	e := newEnv(t, nil)
	old := e.ticket()
	// Rotation does not invalidate the previous ticket: it works until its own 12 h are up.
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, true); err != nil {
		t.Fatal(err)
	}
	if e.ticket() == old {
		t.Fatal("rotate did not issue a new ticket")
	}
	if _, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, old); err != nil {
		t.Errorf("previous ticket within 12 h: %v", err)
	}
	e.sim.Advance(12*time.Hour - time.Second)
	if _, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, old); err != nil {
		t.Errorf("ticket at 11:59:59: %v", err)
	}
	e.sim.Advance(time.Second)
	_, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, old)
	wantCode(t, err, 61005)
}

func TestComponentTokenOverlap(t *testing.T) {
	e := newEnv(t, nil)
	t1 := e.componentToken()
	t2 := e.componentToken()
	if t1 == t2 {
		t.Fatal("a new token must be minted on every call")
	}
	use := func(tok string) error {
		_, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID)
		return err
	}
	if err := use(t1); err != nil {
		t.Fatalf("previous token right after refresh: %v", err)
	}
	e.sim.Advance(299 * time.Second)
	if err := use(t1); err != nil {
		t.Fatalf("previous token at 299 s: %v", err)
	}
	if info := e.sim.CheckToken(t1); !info.Valid || info.ExpiresIn != 1 {
		t.Errorf("CheckToken(previous) = %+v, want valid with 1 s left", info)
	}
	e.sim.Advance(time.Second)
	wantCode(t, use(t1), 40001)
	if err := use(t2); err != nil {
		t.Fatalf("latest token: %v", err)
	}
	// Frequent refreshes invalidate old tokens: only the immediately previous one has grace.
	t3 := e.componentToken()
	t4 := e.componentToken()
	wantCode(t, use(t2), 40001)
	if err := use(t3); err != nil {
		t.Errorf("t3 (previous of t4): %v", err)
	}
	if err := use(t4); err != nil {
		t.Errorf("t4: %v", err)
	}
}

func TestComponentTokenExpiry(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	e.sim.Advance(2*time.Hour - time.Second)
	if _, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID); err != nil {
		t.Fatalf("token at 1:59:59: %v", err)
	}
	e.sim.Advance(time.Second)
	_, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID)
	if !wxapi.IsTokenInvalid(err) {
		t.Errorf("expired token: %v is not a token error", err)
	}
	wantCode(t, err, 42001)
	if info := e.sim.CheckToken(tok); info.Valid || info.ErrCode != 42001 {
		t.Errorf("CheckToken(expired) = %+v", info)
	}
}

func TestPreAuthCodeAppIDMustMatchToken(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) {
		two, err := wxsim.LoadWorld(worldsDir + "/two-platforms.json")
		if err != nil {
			panic(err)
		}
		w.Platforms = append(w.Platforms, two.Platforms[1])
	})
	tok := e.componentToken()
	_, err := e.client.CreatePreAuthCode(e.ctx, tok, e.world.Platforms[1].ComponentAppID)
	wantCode(t, err, 40013)
}

func TestPreAuthCodeSingleUseAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	req := wxsim.AuthorizeRequest{ComponentAppID: e.p.ComponentAppID, PreAuthCode: pre, AuthorizerAppID: e.world.Accounts[0].AppID}
	if _, err := e.sim.Authorize(e.ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Authorize(e.ctx, req); err == nil || !strings.Contains(err.Error(), "PreAuthCode无效") {
		t.Errorf("second use of a pre_auth_code: err = %v", err)
	}
	pre2 := e.preAuthCode(tok)
	e.sim.Advance(1800 * time.Second)
	req.PreAuthCode = pre2
	if _, err := e.sim.Authorize(e.ctx, req); err == nil {
		t.Error("expired pre_auth_code was accepted")
	}
}

func TestQueryAuthCodes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	res := e.authorize(tok, mp)

	// A pre_auth_code passed by mistake is 61009.
	_, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, e.preAuthCode(tok))
	wantCode(t, err, 61009)

	qa, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, res.AuthCode)
	if err != nil {
		t.Fatal(err)
	}
	ai := qa.AuthorizationInfo
	if ai.AuthorizerAppID != mp || ai.ExpiresIn != 7200 || len(ai.FuncInfo) == 0 {
		t.Errorf("authorization_info = %+v", ai)
	}
	confirm := 0
	for _, f := range ai.FuncInfo {
		if f.ConfirmInfo != nil {
			confirm++
		}
	}
	if confirm == 0 {
		t.Error("mini-program func_info carries no confirm_info")
	}
	// Single use: 61010 on the second exchange.
	_, err = e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, res.AuthCode)
	wantCode(t, err, 61010)

	// Expiry after 3600 s; the bare form (no prefix) is accepted.
	res2 := e.authorize(tok, e.accountsOf(wxsim.KindMiniProgram)[1])
	res3 := e.authorize(tok, e.accountsOf(wxsim.KindMiniProgram)[2])
	if _, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, strings.TrimPrefix(res3.AuthCode, "queryauthcode@@@")); err != nil {
		t.Errorf("bare auth code: %v", err)
	}
	e.sim.Advance(3600 * time.Second)
	tok = e.componentToken()
	_, err = e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, res2.AuthCode)
	wantCode(t, err, 61010)
}

func TestQueryAuthRawShape(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	oa := e.accountsOf(wxsim.KindOfficialAccount)[0]
	res := e.authorize(tok, oa, 1, 15)
	_, _, body := e.post(wxapi.PathQueryAuth, "component_access_token="+tok,
		`{"component_appid":"`+e.p.ComponentAppID+`","authorization_code":"`+res.AuthCode+`"}`)
	re := `^\{"authorization_info":\{"authorizer_appid":"` + oa + `","authorizer_access_token":"[0-9]{2}_[A-Za-z0-9_-]+","expires_in":7200,"authorizer_refresh_token":"refreshtoken@@@[A-Za-z0-9_-]{43}","func_info":\[\{"funcscope_category":\{"id":1\}\},\{"funcscope_category":\{"id":15\}\}\]\}\}$`
	if !regexp.MustCompile(re).MatchString(body) {
		t.Errorf("api_query_auth body (field order, category_id_list honoured):\n%s", body)
	}
}

func TestAuthorizerTokenRefresh(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	ai := e.exchange(tok, mp)

	r1, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, ai.AuthorizerRefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if r1.AuthorizerRefreshToken != ai.AuthorizerRefreshToken {
		t.Error("the refresh token must be stable across refreshes")
	}
	if r1.AuthorizerAccessToken == ai.AuthorizerAccessToken || !tokenRe.MatchString(r1.AuthorizerAccessToken) {
		t.Errorf("refresh must mint a new access token: %q", r1.AuthorizerAccessToken)
	}
	// The previous authorizer token works during the overlap, then 40001.
	if _, err := e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken); err != nil {
		t.Errorf("previous authorizer token during overlap: %v", err)
	}
	if info := e.sim.CheckToken(r1.AuthorizerAccessToken); !info.Valid || info.Kind != "authorizer" || info.AppID != mp || info.ComponentAppID != e.p.ComponentAppID || info.ExpiresIn != 7200 {
		t.Errorf("CheckToken(authorizer) = %+v", info)
	}
	e.sim.Advance(5 * time.Minute)
	_, err = e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken)
	wantCode(t, err, 40001)
	info, err := e.client.GetAccountBasicInfo(e.ctx, r1.AuthorizerAccessToken)
	if err != nil || info.AppID != mp {
		t.Errorf("GetAccountBasicInfo = %+v, %v", info, err)
	}
	// A component token is not an authorizer token.
	_, err = e.client.GetAccountBasicInfo(e.ctx, tok)
	wantCode(t, err, 40001)

	tests := []struct {
		name, appid, refresh string
		code                 int
	}{
		{"wrong refresh token", mp, "refreshtoken@@@" + strings.Repeat("x", 43), 61023},
		{"empty refresh token", mp, "", 61023},
		{"not authorized", e.accountsOf(wxsim.KindOfficialAccount)[0], ai.AuthorizerRefreshToken, 61003},
		{"malformed appid", "gh_1a2b3c4d5e6f", ai.AuthorizerRefreshToken, 40013},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, tt.appid, tt.refresh)
			wantCode(t, err, tt.code)
		})
	}
}

func TestRefreshTokenRotatesOnReauthorization(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	old := e.exchange(tok, mp).AuthorizerRefreshToken
	fresh := e.exchange(tok, mp).AuthorizerRefreshToken
	if fresh == old {
		t.Fatal("re-authorization must change the refresh token")
	}
	// The old one keeps working for the grace period (reference §7), answering the new one.
	r, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, old)
	if err != nil {
		t.Fatalf("old refresh token within the grace period: %v", err)
	}
	if r.AuthorizerRefreshToken != fresh {
		t.Errorf("refresh with the old token must hand out the new one")
	}
	e.sim.Advance(5 * time.Minute)
	tok = e.componentToken()
	_, err = e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, old)
	wantCode(t, err, 61023)
	if _, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, fresh); err != nil {
		t.Errorf("new refresh token: %v", err)
	}
}

func TestRefreshTokenGraceZero(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) { w.Settings.RefreshTokenGrace = wxsim.Duration(time.Nanosecond) })
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	old := e.exchange(tok, mp).AuthorizerRefreshToken
	e.exchange(tok, mp)
	e.sim.Advance(time.Nanosecond)
	_, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, old)
	wantCode(t, err, 61023)
}

func TestStartPushTicket(t *testing.T) {
	e := newEnv(t, nil)
	st, err := e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret)
	if err != nil || st.ErrMsg != "ok" {
		t.Fatalf("first start = %+v, %v (not yet in a normal state: \"ok\")", st, err)
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	if p.Msg.ComponentVerifyTicket != e.ticket() {
		t.Errorf("pushed ticket %q, current %q", p.Msg.ComponentVerifyTicket, e.ticket())
	}
	waitFor(t, func() bool { return e.sim.Stats().PushesSent == 1 })
	st, err = e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret)
	if err != nil || st.ErrMsg != "in a normal state" {
		t.Errorf("second start = %+v, %v", st, err)
	}
	e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	_, err = e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, "wrong")
	wantCode(t, err, 40125)
	_, err = e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, "")
	wantCode(t, err, 41004)
	_, err = e.client.StartPushTicket(e.ctx, "wx0000000000000000", e.p.ComponentAppSecret)
	wantCode(t, err, 40013)
	_, _, raw := e.post(wxapi.PathStartPushTicket, "",
		`{"component_appid":"`+e.p.ComponentAppID+`","component_secret":"`+e.p.ComponentAppSecret+`"}`)
	if raw != `{"errcode":0,"errmsg":"in a normal state"}` {
		t.Errorf("raw: %s", raw)
	}
}
