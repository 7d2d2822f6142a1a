package tokenapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestReportInvalid: a reported current token is re-minted once (the new one valid at the
// simulator, the reported one still valid in WeChat's overlap), with an audit event naming the
// client; a reported old token returns the current one without calling WeChat; a second
// re-mint within 30 s is refused with 429 and Retry-After, and allowed after.
func TestReportInvalid(t *testing.T) {
	e := newEnv(t)
	c, _ := e.client(t, flow.ClientSpec{Name: "order-svc", Component: true})
	old, err := c.Authorizer(e.ctx, e.a)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.Sim.Advance(time.Minute) // the token is older than the report spacing
	calls := e.sb.Sim.Stats().Calls["api_authorizer_token"]
	fresh, err := c.Invalid(e.ctx, e.a, old)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == old || e.sb.Sim.Stats().Calls["api_authorizer_token"] != calls+1 {
		t.Fatalf("report of the current token: new=%v, %d calls", fresh != old, e.sb.Sim.Stats().Calls["api_authorizer_token"]-calls)
	}
	if info := e.sb.Sim.CheckToken(fresh); !info.Valid {
		t.Fatalf("the new token is refused by the simulator: %+v", info)
	}
	if info := e.sb.Sim.CheckToken(old); !info.Valid || info.ExpiresIn > 300 {
		t.Fatalf("the reported token should still work for WeChat's 5-minute overlap: %+v", info)
	}
	if e.stored(t, e.a).AccessToken != fresh {
		t.Fatal("the new token was not stored")
	}
	evs, err := e.sb.Engine.Events(e.ctx, e.comp, 20)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, ev := range evs {
		if ev.Kind == flow.EventReportedInvalid && ev.AuthorizerAppID == e.a && strings.Contains(ev.Message, "reported invalid by client order-svc") {
			audited = true
		}
		mustNotContain(t, "event "+string(ev.Kind), ev.Text(), old, fresh)
	}
	if !audited {
		t.Fatal("no audit event naming the client")
	}

	// The old token again (another worker saw the same 40001): the current one, no WeChat call.
	calls = e.sb.Sim.Stats().Calls["api_authorizer_token"]
	again, err := c.Invalid(e.ctx, e.a, old)
	if err != nil || again != fresh {
		t.Fatalf("report of a replaced token: %v, same=%v", err, again == fresh)
	}
	if got := e.sb.Sim.Stats().Calls["api_authorizer_token"]; got != calls {
		t.Fatalf("a replaced token's report called WeChat %d times", got-calls)
	}

	// The new token reported at once: refused, at most one re-mint per 30 s.
	_, err = c.Invalid(e.ctx, e.a, fresh)
	limited := wantAPIError(t, err, http.StatusTooManyRequests, "rate_limited")
	if limited.RetryAfter <= 0 || limited.RetryAfter > 31*time.Second {
		t.Fatalf("Retry-After = %s", limited.RetryAfter)
	}
	if got := e.sb.Sim.Stats().Calls["api_authorizer_token"]; got != calls {
		t.Fatal("a rate-limited report called WeChat")
	}
	e.sb.Sim.Advance(31 * time.Second)
	third, err := c.Invalid(e.ctx, e.a, fresh)
	if err != nil || third == fresh {
		t.Fatalf("report after the spacing: %v", err)
	}

	// The component token works the same way.
	ct, err := c.ComponentToken(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.Sim.Advance(time.Minute)
	minted := e.sb.Sim.Stats().ComponentTokensMinted
	nct, err := c.Invalid(e.ctx, "component", ct)
	if err != nil || nct == ct || e.sb.Sim.Stats().ComponentTokensMinted != minted+1 {
		t.Fatalf("component report: %v", err)
	}
	if !e.sb.Sim.CheckToken(nct).Valid || !e.sb.Sim.CheckToken(ct).Valid {
		t.Fatal("after a component re-mint both tokens should work (the old one for its overlap)")
	}
	// A bad body is 400, not a re-mint.
	_, key := e.client(t, flow.ClientSpec{Name: "other"})
	if code, body := e.do(t, "POST", "/v1/token/"+e.a+"/invalid", key, []byte(`{"tok":1}`)); code != http.StatusBadRequest {
		t.Fatalf("bad body: %d %s", code, body)
	}
}
