package wxsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

var (
	tokenRe        = regexp.MustCompile(`^[0-9]{2}_[A-Za-z0-9_-]{120,140}$`)
	preAuthRe      = regexp.MustCompile(`^preauthcode@@@[A-Za-z0-9_-]{86}$`)
	authCodeRe     = regexp.MustCompile(`^queryauthcode@@@[A-Za-z0-9_-]{86}$`)
	ticketRe       = regexp.MustCompile(`^ticket@@@[A-Za-z0-9_-]{86}$`)
	refreshTokenRe = regexp.MustCompile(`^refreshtoken@@@[A-Za-z0-9_-]{43}$`)
	errBodyRe      = regexp.MustCompile(`^\{"errcode":(-?\d+),"errmsg":"([^"]*) rid: ([0-9a-f]{8})-[0-9a-f]{8}-[0-9a-f]{8}"\}$`)
)

func TestCredentialShapes(t *testing.T) {
	e := newEnv(t, nil)
	if !ticketRe.MatchString(e.ticket()) {
		t.Errorf("ticket %q", e.ticket())
	}
	tok := e.componentToken()
	if !tokenRe.MatchString(tok) {
		t.Errorf("component token %q", tok)
	}
	pre := e.preAuthCode(tok)
	if !preAuthRe.MatchString(pre) {
		t.Errorf("pre_auth_code %q", pre)
	}
	res := e.authorize(tok, e.world.Accounts[0].AppID)
	if !authCodeRe.MatchString(res.AuthCode) || res.ExpiresIn != 3600 {
		t.Errorf("auth code %q expires_in %d", res.AuthCode, res.ExpiresIn)
	}
	qa, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, res.AuthCode)
	if err != nil {
		t.Fatal(err)
	}
	ai := qa.AuthorizationInfo
	if !tokenRe.MatchString(ai.AuthorizerAccessToken) || !refreshTokenRe.MatchString(ai.AuthorizerRefreshToken) || len(ai.AuthorizerRefreshToken) != 58 {
		t.Errorf("authorizer token %q refresh %q", ai.AuthorizerAccessToken, ai.AuthorizerRefreshToken)
	}
}

func TestWireFormat(t *testing.T) {
	e := newEnv(t, nil)
	ticket := e.ticket()
	body := fmt.Sprintf(`{"component_appid":%q,"component_appsecret":%q,"component_verify_ticket":%q}`, e.p.ComponentAppID, e.p.ComponentAppSecret, ticket)
	status, h, got := e.post(wxapi.PathComponentToken, "", body)
	if status != 200 || h.Get("Content-Type") != "application/json; encoding=utf-8" {
		t.Errorf("status %d, Content-Type %q", status, h.Get("Content-Type"))
	}
	if !regexp.MustCompile(`^\{"component_access_token":"[0-9]{2}_[A-Za-z0-9_-]+","expires_in":7200\}$`).MatchString(got) {
		t.Errorf("success body %s: want compact, no errcode", got)
	}

	ridHex := fmt.Sprintf("%08x", e.sim.Now().Unix())
	errorCases := []struct {
		name, method, path, query, body string
		code                            int
		text                            string
	}{
		{"GET", http.MethodGet, wxapi.PathComponentToken, "", "", 43002, "require POST method"},
		{"bad JSON", http.MethodPost, wxapi.PathComponentToken, "", `{"component_appid":`, 47001, "data format error"},
		{"no appid", http.MethodPost, wxapi.PathComponentToken, "", `{}`, 41002, "appid missing"},
		{"no token", http.MethodPost, wxapi.PathCreatePreAuthCode, "", `{"component_appid":"` + e.p.ComponentAppID + `"}`, 41001, "access_token missing"},
		{"malformed token", http.MethodPost, wxapi.PathCreatePreAuthCode, "component_access_token=abc", `{}`, 40014, "invalid access_token"},
		{"unknown token", http.MethodPost, wxapi.PathCreatePreAuthCode, "component_access_token=12_" + strings.Repeat("x", 130), `{}`, 40001, "invalid credential, access_token is invalid or not latest"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path+"?"+tc.query, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf strings.Builder
			_, _ = fmt.Fprint(&buf, mustRead(t, resp))
			m := errBodyRe.FindStringSubmatch(buf.String())
			if resp.StatusCode != 200 || m == nil {
				t.Fatalf("status %d body %s", resp.StatusCode, buf.String())
			}
			if m[1] != strconv.Itoa(tc.code) || m[2] != tc.text {
				t.Errorf("got %s %q, want %d %q", m[1], m[2], tc.code, tc.text)
			}
			if m[3] != ridHex {
				t.Errorf("rid starts %s, want the virtual time %s", m[3], ridHex)
			}
		})
	}
}

func mustRead(t *testing.T, resp *http.Response) string {
	t.Helper()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

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

func TestBothTokenQueryNames(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	body := `{"component_appid":"` + e.p.ComponentAppID + `"}`
	for _, name := range []string{"component_access_token", "access_token"} {
		_, _, got := e.post(wxapi.PathCreatePreAuthCode, name+"="+tok, body)
		if !regexp.MustCompile(`^\{"pre_auth_code":"preauthcode@@@[A-Za-z0-9_-]{86}","expires_in":1800\}$`).MatchString(got) {
			t.Errorf("%s: %s", name, got)
		}
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

func TestUnauthorize(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	ai := e.exchange(tok, mp)
	if err := e.sim.Unauthorize(e.ctx, e.p.ComponentAppID, mp); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.AuthorizerToken(e.ctx, tok, e.p.ComponentAppID, mp, ai.AuthorizerRefreshToken)
	wantCode(t, err, 61003)
	_, err = e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, mp)
	wantCode(t, err, 61003)
	_, err = e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken)
	wantCode(t, err, 40001)
	if err := e.sim.Unauthorize(e.ctx, e.p.ComponentAppID, mp); err == nil {
		t.Error("unauthorizing twice succeeded")
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeUnauthorized)
	if p.Msg.AuthorizerAppID != mp || p.Msg.AuthorizationCode != "" {
		t.Errorf("unauthorized push = %+v", p.Msg)
	}
}

func TestGetAuthorizerInfo(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	oa := e.accountsOf(wxsim.KindOfficialAccount)[0]
	mpInfo := e.exchange(tok, mp)
	e.exchange(tok, oa)

	info, err := e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, mp)
	if err != nil {
		t.Fatal(err)
	}
	acc := e.world.Accounts[0]
	ai := info.AuthorizerInfo
	if !ai.IsMiniProgram() || ai.NickName != acc.NickName || ai.UserName != acc.UserName || ai.PrincipalName != acc.PrincipalName {
		t.Errorf("authorizer_info = %+v", ai)
	}
	if info.AuthorizationInfo.AuthorizerRefreshToken != mpInfo.AuthorizerRefreshToken || info.AuthorizationInfo.AuthorizerAccessToken != "" {
		t.Errorf("authorization_info = %+v: refresh token yes, access token no", info.AuthorizationInfo)
	}
	oaInfo, err := e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, oa)
	if err != nil {
		t.Fatal(err)
	}
	if oaInfo.AuthorizerInfo.IsMiniProgram() || oaInfo.AuthorizerInfo.ServiceTypeInfo.ID != 2 {
		t.Errorf("official account info = %+v", oaInfo.AuthorizerInfo)
	}
	// The real endpoint escapes slashes.
	_, _, raw := e.post(wxapi.PathGetAuthorizerInfo, "component_access_token="+tok,
		`{"component_appid":"`+e.p.ComponentAppID+`","authorizer_appid":"`+mp+`"}`)
	if !strings.Contains(raw, `"head_img":"http:\/\/wx.qlogo.cn\/mmopen\/`) || !strings.Contains(raw, `"MiniProgramInfo":{`) {
		t.Errorf("raw body: %s", raw)
	}
	_, err = e.client.GetAuthorizerInfo(e.ctx, tok, e.p.ComponentAppID, e.accountsOf(wxsim.KindMiniProgram)[1])
	wantCode(t, err, 61003)
}

func TestAuthorizerListPaging(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	var exchanged []string
	for i, a := range e.world.Accounts {
		if i == len(e.world.Accounts)-1 {
			e.authorize(tok, a.AppID) // authorized but never exchanged: empty refresh_token
			continue
		}
		e.exchange(tok, a.AppID)
		exchanged = append(exchanged, a.AppID)
		e.sim.Advance(time.Second)
	}
	var got []wxapi.AuthorizerListItem
	for offset := 0; ; offset += 2 {
		page, err := e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, offset, 2)
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != len(e.world.Accounts) {
			t.Errorf("total_count = %d", page.TotalCount)
		}
		if len(page.List) == 0 {
			break
		}
		if len(page.List) > 2 {
			t.Fatalf("page of %d items with count 2", len(page.List))
		}
		got = append(got, page.List...)
	}
	if len(got) != len(e.world.Accounts) {
		t.Fatalf("paged %d items, want %d", len(got), len(e.world.Accounts))
	}
	for i, item := range got {
		if item.AuthorizerAppID != e.world.Accounts[i].AppID || item.AuthTime != start.Unix()+int64(i) {
			t.Errorf("item %d = %+v (order is by auth_time)", i, item)
		}
		wantRefresh := i < len(exchanged)
		if (item.RefreshToken != "") != wantRefresh || (wantRefresh && !refreshTokenRe.MatchString(item.RefreshToken)) {
			t.Errorf("item %d refresh_token %q", i, item.RefreshToken)
		}
	}
	all, err := e.client.AllAuthorizers(e.ctx, tok, e.p.ComponentAppID)
	if err != nil || len(all) != len(got) {
		t.Errorf("AllAuthorizers = %d items, %v", len(all), err)
	}
	_, _, raw := e.post(wxapi.PathGetAuthorizerList, "component_access_token="+tok,
		`{"component_appid":"`+e.p.ComponentAppID+`","offset":0,"count":1}`)
	if !regexp.MustCompile(`^\{"total_count":4,"list":\[\{"authorizer_appid":"wx[0-9a-f]{16}","refresh_token":"refreshtoken@@@[A-Za-z0-9_-]{43}","auth_time":\d+\}\]\}$`).MatchString(raw) {
		t.Errorf("raw list: %s", raw)
	}
	_, err = e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 0)
	wantCode(t, err, 40097)
	_, _, raw = e.post(wxapi.PathGetAuthorizerList, "component_access_token="+tok, `{"component_appid":"`+e.p.ComponentAppID+`"}`)
	if !strings.Contains(raw, `"errcode":40097`) {
		t.Errorf("offset and count are required: %s", raw)
	}
}

func TestAuthorizerOptions(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	oa := e.accountsOf(wxsim.KindOfficialAccount)[0]
	e.exchange(tok, mp)
	oaInfo := e.exchange(tok, oa)
	req := func(appid, name, value string) wxapi.AuthorizerOptionRequest {
		return wxapi.AuthorizerOptionRequest{ComponentAppID: e.p.ComponentAppID, AuthorizerAppID: appid, OptionName: name, OptionValue: value}
	}
	got, err := e.client.GetAuthorizerOption(e.ctx, tok, req(oa, "voice_recognize", ""))
	if err != nil || got.OptionValue != "1" || got.AuthorizerAppID != oa {
		t.Fatalf("get voice_recognize = %+v, %v", got, err)
	}
	if err := e.client.SetAuthorizerOption(e.ctx, tok, req(oa, "location_report", "2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.client.GetAuthorizerOption(e.ctx, tok, req(oa, "location_report", "")); got.OptionValue != "2" {
		t.Errorf("location_report after set = %q", got.OptionValue)
	}
	errs := []struct {
		name string
		req  wxapi.AuthorizerOptionRequest
		code int
	}{
		{"bad name", req(oa, "auto_reply", "1"), 61012},
		{"bad value", req(oa, "voice_recognize", "2"), 61013},
		{"read-only on a mini program", req(mp, "location_report", "1"), 61025},
		{"not authorized", req(e.accountsOf(wxsim.KindMiniProgram)[1], "customer_service", "1"), 61003},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.client.SetAuthorizerOption(e.ctx, tok, tt.req), tt.code)
		})
	}
	_, err = e.client.GetAuthorizerOption(e.ctx, tok, req(oa, "nope", ""))
	wantCode(t, err, 61012)

	// The newer APIs accept an authorizer token (the account is the token's) …
	_, _, raw := e.post("/cgi-bin/component/set_authorizer_option", "access_token="+oaInfo.AuthorizerAccessToken, `{"option_name":"customer_service","option_value":"1"}`)
	if raw != `{"errcode":0,"errmsg":"ok"}` {
		t.Errorf("new set: %s", raw)
	}
	_, _, raw = e.post("/cgi-bin/component/get_authorizer_option", "access_token="+oaInfo.AuthorizerAccessToken, `{"option_name":"customer_service"}`)
	if raw != `{"option_name":"customer_service","option_value":"1"}` {
		t.Errorf("new get: %s", raw)
	}
	// … or a component token with authorizer_appid in the body.
	_, _, raw = e.post("/cgi-bin/component/get_authorizer_option", "access_token="+tok, `{"authorizer_appid":"`+oa+`","option_name":"location_report"}`)
	if raw != `{"option_name":"location_report","option_value":"2"}` {
		t.Errorf("new get with component token: %s", raw)
	}
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

// waitFor polls cond (background pushes finish asynchronously).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIPWhitelist(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) { w.Platforms[0].IPWhitelist = []string{"10.0.0.0/8", "203.0.113.7"} })
	_, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	we := wantCode(t, err, 61004)
	if we.RequestIP != "127.0.0.1" || !strings.HasPrefix(we.ErrMsg, "access clientip is not registered requestIP: 127.0.0.1 rid: ") {
		t.Errorf("61004 errmsg %q, request IP %q", we.ErrMsg, we.RequestIP)
	}
	_, err = e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret)
	wantCode(t, err, 61004)

	if err := e.sim.SetIPWhitelist(e.p.ComponentAppID, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	tok := e.componentToken()
	ai := e.exchange(tok, e.world.Accounts[0].AppID)
	if _, err := e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken); err != nil {
		t.Fatal(err)
	}
	// Calls made with an authorizer token obey the platform's whitelist too.
	if err := e.sim.SetIPWhitelist(e.p.ComponentAppID, []string{"::1"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken)
	wantCode(t, err, 61004)
	_, err = e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID)
	wantCode(t, err, 61004)
	if err := e.sim.SetIPWhitelist(e.p.ComponentAppID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID); err != nil {
		t.Errorf("empty whitelist allows everyone: %v", err)
	}
	if err := e.sim.SetIPWhitelist(e.p.ComponentAppID, []string{"not-an-ip"}); err == nil {
		t.Error("a bad whitelist entry was accepted")
	}
}

func TestDailyQuotaAndClear(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) {
		w.Settings.DailyQuota = map[string]int{"api_component_token": 3}
		w.Settings.ClearQuotaPerMonth = 2
	})
	var tok string
	for i := 0; i < 3; i++ {
		tok = e.componentToken()
	}
	_, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	we := wantCode(t, err, 45009)
	if we.Message() != "reach max api daily quota limit" {
		t.Errorf("45009 message %q", we.Message())
	}
	q, err := e.client.GetQuota(e.ctx, tok, wxapi.PathComponentToken)
	if err != nil {
		t.Fatal(err)
	}
	if q.Quota.DailyLimit != 3 || q.Quota.Used != 3 || q.Quota.Remain != 0 {
		t.Errorf("quota = %+v", q.Quota)
	}
	_, err = e.client.GetQuota(e.ctx, tok, "/cgi-bin/component/no_such_api")
	wantCode(t, err, 76021)

	// clear_quota/v2 works with the AppSecret even while tokens are blocked.
	if err := e.client.ClearQuotaV2(e.ctx, wxapi.ClearQuotaV2Request{ComponentAppID: e.p.ComponentAppID, AppSecret: "bad"}); wxapi.ErrCode(err) != 40125 {
		t.Errorf("v2 with a wrong secret: %v", err)
	}
	if err := e.client.ClearQuotaV2(e.ctx, wxapi.ClearQuotaV2Request{ComponentAppID: e.p.ComponentAppID, AppSecret: e.p.ComponentAppSecret}); err != nil {
		t.Fatal(err)
	}
	tok = e.componentToken()
	if q, _ := e.client.GetQuota(e.ctx, tok, wxapi.PathComponentToken); q.Quota.Used != 1 {
		t.Errorf("used after clear = %d", q.Quota.Used)
	}
	// The legacy clear shares the monthly budget: the third reset this month is 48006.
	if err := e.client.ClearQuota(e.ctx, tok, e.p.ComponentAppID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.client.ClearQuota(e.ctx, tok, e.p.ComponentAppID), 48006)
	wantCode(t, e.client.ClearQuotaV2(e.ctx, wxapi.ClearQuotaV2Request{ComponentAppID: e.p.ComponentAppID, AppSecret: e.p.ComponentAppSecret}), 48006)

	// The quota resets at midnight Beijing time (start is 10:00 CST).
	for i := 0; i < 3; i++ {
		e.componentToken()
	}
	e.sim.Advance(13*time.Hour + 59*time.Minute)
	_, err = e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	wantCode(t, err, 45009)
	e.sim.Advance(time.Minute)
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, true); err != nil {
		t.Fatal(err)
	}
	e.componentToken()
}

func TestClearQuotaForAuthorizer(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) { w.Settings.DailyQuota = map[string]int{"account/getaccountbasicinfo": 1} })
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	ai := e.exchange(tok, mp)
	if _, err := e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken)
	wantCode(t, err, 45009)
	q, err := e.client.GetQuota(e.ctx, ai.AuthorizerAccessToken, wxapi.PathGetAccountBasicInfo)
	if err != nil || q.Quota.Used != 1 || q.Quota.DailyLimit != 1 {
		t.Errorf("authorizer quota = %+v, %v", q.Quota, err)
	}
	err = e.client.ClearQuotaV2(e.ctx, wxapi.ClearQuotaV2Request{AppID: e.accountsOf(wxsim.KindMiniProgram)[1], ComponentAppID: e.p.ComponentAppID, AppSecret: e.p.ComponentAppSecret})
	wantCode(t, err, 61003)
	if err := e.client.ClearQuotaV2(e.ctx, wxapi.ClearQuotaV2Request{AppID: mp, ComponentAppID: e.p.ComponentAppID, AppSecret: e.p.ComponentAppSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetAccountBasicInfo(e.ctx, ai.AuthorizerAccessToken); err != nil {
		t.Errorf("after clearing the authorizer's quota: %v", err)
	}
	// The generic cgi-bin/clear_quota clears the token's own account.
	_, _, raw := e.post("/cgi-bin/clear_quota", "access_token="+ai.AuthorizerAccessToken, `{"appid":"`+mp+`"}`)
	if raw != `{"errcode":0,"errmsg":"ok"}` {
		t.Errorf("generic clear_quota: %s", raw)
	}
	_, _, raw = e.post("/cgi-bin/clear_quota", "access_token="+ai.AuthorizerAccessToken, `{"appid":"`+e.p.ComponentAppID+`"}`)
	if !strings.Contains(raw, `"errcode":40013`) {
		t.Errorf("generic clear_quota of another appid: %s", raw)
	}
}

func TestRidGet(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	_, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, "queryauthcode@@@"+strings.Repeat("Z", 86))
	we := wantCode(t, err, 61009)
	ridTime, ok := we.RidTime()
	if !ok || !ridTime.Equal(e.sim.Now().Truncate(time.Second)) {
		t.Errorf("rid time %v, virtual now %v", ridTime, e.sim.Now())
	}
	info, err := e.client.GetRid(e.ctx, tok, we.Rid)
	if err != nil {
		t.Fatal(err)
	}
	r := info.Request
	if r.InvokeTime != e.sim.Now().Unix() || r.ClientIP != "127.0.0.1" || !strings.Contains(r.ResponseBody, `"errcode":61009`) {
		t.Errorf("rid info = %+v", r)
	}
	if strings.Contains(r.RequestURL, tok) || !strings.HasPrefix(r.RequestURL, "component_access_token="+tok[:7]+"xxxx") {
		t.Errorf("request_url %q must show the token cut short", r.RequestURL)
	}
	if strings.Contains(r.RequestBody, strings.Repeat("Z", 86)) {
		t.Errorf("request_body %q echoes the code", r.RequestBody)
	}

	// Another account may not read it.
	ai := e.exchange(tok, e.world.Accounts[0].AppID)
	_, err = e.client.GetRid(e.ctx, ai.AuthorizerAccessToken, we.Rid)
	wantCode(t, err, 76003)
	_, err = e.client.GetRid(e.ctx, tok, "not-a-rid")
	wantCode(t, err, 76002)
	_, err = e.client.GetRid(e.ctx, tok, "00000000-00000000-00000000")
	wantCode(t, err, 76001)

	// Kept 7 days.
	e.sim.Advance(7*24*time.Hour + time.Minute)
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false); err != nil {
		t.Fatal(err)
	}
	tok = e.componentToken()
	_, err = e.client.GetRid(e.ctx, tok, we.Rid)
	wantCode(t, err, 76001)
}

func TestStatsCount(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	e.exchange(tok, e.world.Accounts[0].AppID)
	_, _ = e.client.CreatePreAuthCode(e.ctx, "bad", e.p.ComponentAppID)
	e.rc.nextOf(t, wxapi.InfoTypeAuthorized)
	waitFor(t, func() bool { return e.sim.Stats().PushesSent == 1 })
	st := e.sim.Stats()
	if st.Calls["api_component_token"] != 1 || st.Calls["api_create_preauthcode"] != 2 || st.Calls["api_query_auth"] != 1 {
		t.Errorf("calls = %v", st.Calls)
	}
	if st.ComponentTokensMinted != 1 || st.AuthorizerTokensMinted != 1 || st.PreAuthCodesIssued != 1 || st.AuthCodesIssued != 1 ||
		st.Authorizations != 1 || st.ActiveAuthorizations != 1 || st.Errors["40014"] != 1 {
		t.Errorf("stats = %+v", st)
	}
	if st.PushesByType["authorized"] != 1 || len(st.RecentPushes) != 1 || !st.RecentPushes[0].OK {
		t.Errorf("push stats = %+v", st)
	}
	data, _ := json.Marshal(st)
	if strings.Contains(string(data), "queryauthcode@@@") || strings.Contains(string(data), "ticket@@@") {
		t.Errorf("stats leak credentials: %s", data)
	}
}

func TestDeterministicWithSeededRandom(t *testing.T) {
	mk := func() *wxsim.Sim {
		s, err := wxsim.New(wxsim.DefaultWorld(), wxsim.Options{Clock: &manualClock{t: start}, Random: seeded(7)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := mk(), mk()
	id := wxsim.DefaultWorld().Platforms[0].ComponentAppID
	if a.CurrentTicket(id) != b.CurrentTicket(id) {
		t.Error("the same Random must give the same credentials")
	}
}
