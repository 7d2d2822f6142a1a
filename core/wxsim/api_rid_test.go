package wxsim_test

import (
	"strings"
	"testing"
	"time"
)

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
