package wxsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// Shapes of credentials (reference §0) and of an error answer, checked by the api_*_test.go files.
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
