package wxsim_test

import (
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

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
