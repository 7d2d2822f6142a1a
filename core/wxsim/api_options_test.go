package wxsim_test

import (
	"testing"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

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
