package tokenapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/storage"
	"wxauth/tokenclient"
)

// TestNeedsUserErrors: a revoked account and one needing re-authorization are 409 with the
// command to run; nothing is asked of WeChat for them.
func TestNeedsUserErrors(t *testing.T) {
	e := newEnv(t)
	_, key := e.client(t, flow.ClientSpec{Name: "svc"})
	if err := e.sb.Sim.Unauthorize(e.ctx, e.comp, e.a); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unauthorized push", func() bool { return e.stored(t, e.a).Status == storage.StatusRevoked })
	before := e.sb.Sim.Stats().Calls["api_authorizer_token"]
	var revoked error
	waitFor(t, "the feed to see the revocation", func() bool {
		_, revoked = tokenclient.New(e.url, key).Get(e.ctx, e.a) // a fresh client: no cache
		return revoked != nil
	})
	ae := wantAPIError(t, revoked, http.StatusConflict, "revoked")
	if !strings.Contains(ae.Remedy, "wxauth authorize --biz-appid "+e.a) {
		t.Errorf("remedy %q", ae.Remedy)
	}
	if err := e.sb.DB.SetAuthorizerStatus(e.ctx, e.comp, e.b, storage.StatusNeedsReauth, []string{storage.StatusHealthy}, "61023 refresh token invalid", e.sb.Sim.Now()); err != nil {
		t.Fatal(err)
	}
	var reauth error
	waitFor(t, "the feed to see the status", func() bool {
		_, reauth = tokenclient.New(e.url, key).Get(e.ctx, e.b) // a fresh client: no cache
		return reauth != nil
	})
	wantAPIError(t, reauth, http.StatusConflict, "needs_reauthorization")
	if got := e.sb.Sim.Stats().Calls["api_authorizer_token"]; got != before {
		t.Fatalf("%d WeChat calls for accounts only the merchant can fix", got-before)
	}
}

// TestUnavailableErrors: no ticket, IP not whitelisted and quota exhausted are 503 with their
// codes; once WeChat said the IP or the quota is the problem, further requests do not call it.
func TestUnavailableErrors(t *testing.T) {
	t.Run("no_ticket", func(t *testing.T) {
		e := newEnv(t)
		p := e.sb.Platform
		p.ComponentAppID = "wx0123456789abcdef"
		if _, err := e.sb.Engine.AddPlatform(e.ctx, p); err != nil {
			t.Fatal(err)
		}
		c, _ := e.client(t, flow.ClientSpec{Name: "second", ComponentAppID: p.ComponentAppID, Component: true})
		_, err := c.ComponentToken(e.ctx)
		wantAPIError(t, err, http.StatusServiceUnavailable, "no_ticket")
	})
	dueSoon := func(e *env) {
		a := e.stored(t, e.a)
		e.sb.Sim.Advance(a.AccessExpiresAt.Sub(e.sb.Sim.Now()) - 2*time.Minute)
	}
	t.Run("ip_not_whitelisted", func(t *testing.T) {
		e := newEnv(t)
		c, _ := e.client(t, flow.ClientSpec{Name: "svc"})
		if err := e.sb.Sim.SetIPWhitelist(e.comp, []string{"203.0.113.9"}); err != nil {
			t.Fatal(err)
		}
		dueSoon(e)
		_, err := c.Get(e.ctx, e.a)
		wantAPIError(t, err, http.StatusServiceUnavailable, "ip_not_whitelisted")
		calls := e.sb.Sim.Stats()
		_, err = c.Get(e.ctx, e.b)
		wantAPIError(t, err, http.StatusServiceUnavailable, "ip_not_whitelisted")
		// Another process on the database (not the one that met 61004) refuses too, from the log.
		other := flow.New(flow.Config{Store: e.sb.DB, Clock: e.sb.Sim})
		_, err = other.TokenValidFor(e.ctx, e.comp, e.b, 0)
		var te *flow.TokenError
		if !errors.As(err, &te) || te.Kind != flow.FailIPRejected {
			t.Fatalf("another process: %v", err)
		}
		if after := e.sb.Sim.Stats(); sum(after.Calls) != sum(calls.Calls) {
			t.Fatalf("WeChat called again after 61004: %v → %v", calls.Calls, after.Calls)
		}
	})
	t.Run("quota_exhausted", func(t *testing.T) {
		e := newEnv(t)
		c, _ := e.client(t, flow.ClientSpec{Name: "svc"})
		e.sb.Sim.SetFaults(wxsim.Faults{Path: "/cgi-bin/component/api_authorizer_token", ErrCode: 45009})
		dueSoon(e)
		_, err := c.Get(e.ctx, e.a)
		ae := wantAPIError(t, err, http.StatusServiceUnavailable, "quota_exhausted")
		if !strings.Contains(ae.Remedy+ae.Message, "quota") {
			t.Errorf("quota error without its explanation: %+v", ae)
		}
	})
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
