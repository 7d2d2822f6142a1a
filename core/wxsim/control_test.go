package wxsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// ctl calls the control API and decodes the JSON answer.
func (e *env) ctl(method, path, body string, out any) int {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func TestControlAPIFlow(t *testing.T) {
	e := newEnv(t, nil)

	// push-ticket answers the ticket, so curl alone can get a component token.
	var pt struct {
		ComponentAppID        string `json:"component_appid"`
		ComponentVerifyTicket string `json:"component_verify_ticket"`
		Delivered             bool   `json:"delivered"`
	}
	if st := e.ctl("POST", "/sim/push-ticket", `{}`, &pt); st != 200 || !pt.Delivered || pt.ComponentVerifyTicket != e.ticket() || pt.ComponentAppID != e.p.ComponentAppID {
		t.Fatalf("push-ticket %d %+v", st, pt)
	}
	e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]

	var ar wxsim.AuthorizeResult
	body := `{"component_appid":"` + e.p.ComponentAppID + `","pre_auth_code":"` + pre + `","authorizer_appid":"` + mp + `","redirect_uri":"https://auth.example.com/cb?x=1#/done"}`
	if st := e.ctl("POST", "/sim/authorize", body, &ar); st != 200 || ar.ExpiresIn != 3600 || ar.Push != "authorized" {
		t.Fatalf("authorize %d %+v", st, ar)
	}
	if want := "https://auth.example.com/cb?x=1&auth_code=" + ar.AuthCode + "&expires_in=3600#/done"; ar.RedirectURL != want {
		t.Errorf("redirect_url %q, want %q", ar.RedirectURL, want)
	}
	var errResp struct{ Error string }
	if st := e.ctl("POST", "/sim/authorize", body, &errResp); st != 400 || !strings.Contains(errResp.Error, "PreAuthCode无效") {
		t.Errorf("authorize twice: %d %+v", st, errResp)
	}
	qa, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, ar.AuthCode)
	if err != nil {
		t.Fatal(err)
	}

	var ti wxsim.TokenInfo
	e.ctl("GET", "/sim/check-token?access_token="+qa.AuthorizationInfo.AuthorizerAccessToken, "", &ti)
	if !ti.Valid || ti.Kind != "authorizer" || ti.AppID != mp || ti.ExpiresIn != 7200 {
		t.Errorf("check-token authorizer %+v", ti)
	}
	e.ctl("GET", "/sim/check-token?access_token="+tok, "", &ti)
	if !ti.Valid || ti.Kind != "component" || ti.AppID != e.p.ComponentAppID {
		t.Errorf("check-token component %+v", ti)
	}
	ti = wxsim.TokenInfo{}
	e.ctl("GET", "/sim/check-token?access_token=11_nope-nope-nope-nope-nope-nope", "", &ti)
	if ti.Valid || ti.ErrCode != 40001 || ti.ExpiresIn != 0 {
		t.Errorf("check-token unknown %+v", ti)
	}

	var clock struct {
		Now  time.Time `json:"now"`
		Unix int64     `json:"unix"`
	}
	if st := e.ctl("POST", "/sim/clock", `{"advance":"2h"}`, &clock); st != 200 || clock.Unix != start.Add(2*time.Hour).Unix() {
		t.Errorf("clock %d %+v", st, clock)
	}
	e.ctl("GET", "/sim/check-token?access_token="+tok, "", &ti)
	if ti.Valid || ti.ErrCode != 42001 {
		t.Errorf("check-token after 2h %+v", ti)
	}
	if st := e.ctl("POST", "/sim/clock", `{"advance":"-1h"}`, &errResp); st != 400 {
		t.Errorf("negative advance: %d", st)
	}
	if st := e.ctl("POST", "/sim/clock", `{"advance":"soon"}`, &errResp); st != 400 || !strings.Contains(errResp.Error, "duration") {
		t.Errorf("bad advance: %d %+v", st, errResp)
	}

	if st := e.ctl("POST", "/sim/unauthorize", `{"authorizer_appid":"`+mp+`"}`, nil); st != 200 {
		t.Errorf("unauthorize %d", st)
	}
	e.rc.nextOf(t, wxapi.InfoTypeUnauthorized)
	if st := e.ctl("POST", "/sim/unauthorize", `{"authorizer_appid":"`+mp+`"}`, &errResp); st != 404 {
		t.Errorf("unauthorize twice %d", st)
	}

	var stats wxsim.Stats
	e.ctl("GET", "/sim/stats", "", &stats)
	if stats.Calls["api_query_auth"] != 1 || stats.Revocations != 1 || stats.PushesSent < 2 {
		t.Errorf("stats %+v", stats)
	}
}

func TestControlFaultsAndPlatform(t *testing.T) {
	e := newEnv(t, nil)
	var rules struct{ Faults []wxsim.Faults }
	if st := e.ctl("POST", "/sim/faults", `{"path":"/cgi-bin/component/api_component_token","errcode":-1}`, &rules); st != 200 || len(rules.Faults) != 1 {
		t.Fatalf("faults %d %+v", st, rules)
	}
	_, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	wantCode(t, err, -1)
	if st := e.ctl("GET", "/sim/faults", "", &rules); st != 200 || rules.Faults[0].ErrCode != -1 {
		t.Errorf("GET faults %+v", rules)
	}
	var errResp struct{ Error string }
	for _, bad := range []string{`{"error_rate":2}`, `{"path":"/sim/stats","errcode":-1}`, `{"http_status":302}`, `{"bogus":1}`} {
		if st := e.ctl("POST", "/sim/faults", bad, &errResp); st != 400 || errResp.Error == "" {
			t.Errorf("faults %s: %d %+v", bad, st, errResp)
		}
	}
	if st := e.ctl("DELETE", "/sim/faults", "", &rules); st != 200 || len(rules.Faults) != 0 {
		t.Errorf("DELETE faults %d %+v", st, rules)
	}
	e.componentToken()

	var plat map[string]any
	if st := e.ctl("POST", "/sim/platform", `{"auth_domain":"127.0.0.1:8765","ip_whitelist":["10.1.2.3"]}`, &plat); st != 200 || plat["auth_domain"] != "127.0.0.1:8765" || plat["event_url"] != e.p.EventURL {
		t.Errorf("platform %d %+v", st, plat)
	}
	_, err = e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	wantCode(t, err, 61004)
	if st := e.ctl("POST", "/sim/platform", `{"ip_whitelist":[]}`, &plat); st != 200 {
		t.Errorf("clear whitelist %d", st)
	}
	e.componentToken()
	if st := e.ctl("POST", "/sim/platform", `{"component_appid":"wx0000000000000000","event_url":""}`, &errResp); st != 404 {
		t.Errorf("unknown platform %d", st)
	}
	if st := e.ctl("POST", "/sim/platform", `{"auth_domain":"https://x/"}`, &errResp); st != 400 {
		t.Errorf("bad auth_domain %d", st)
	}

	var w wxsim.World
	e.ctl("GET", "/sim/world", "", &w)
	if w.Platforms[0].AuthDomain != "127.0.0.1:8765" || w.Platforms[0].ComponentAppSecret != e.p.ComponentAppSecret {
		t.Errorf("world %+v", w.Platforms[0])
	}
}

func TestControlRouting(t *testing.T) {
	e := newEnv(t, nil)
	var help map[string]string
	if st := e.ctl("GET", "/sim/", "", &help); st != 200 || help["POST /sim/authorize"] == "" || help["DELETE /sim/faults"] == "" {
		t.Errorf("help %d %v", st, help)
	}
	var errResp struct{ Error string }
	if st := e.ctl("GET", "/sim/nope", "", &errResp); st != 404 {
		t.Errorf("unknown endpoint %d", st)
	}
	if st := e.ctl("GET", "/sim/authorize", "", &errResp); st != 405 {
		t.Errorf("wrong method %d", st)
	}
	if st := e.ctl("POST", "/sim/authorize", `{"component_appid":`, &errResp); st != 400 {
		t.Errorf("bad JSON %d", st)
	}
	resp, err := http.Get(e.srv.URL + "/cgi-bin/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown API path %d", resp.StatusCode)
	}
}
