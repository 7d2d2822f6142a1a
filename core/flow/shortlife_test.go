package flow_test

import (
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

// TestShortLifetimesRenewedOncePerCycle: with compressed lifetimes (a 40 s component token, 20 s
// authorizer tokens, as the crash and multi-process tests use), the refresher renews each
// token once per cycle and `token` hands out the stored one in between, instead of minting a
// component token on every pass because it "expires within a minute".
func TestShortLifetimesRenewedOncePerCycle(t *testing.T) {
	world := wxsim.DefaultWorld()
	world.Settings.ComponentTokenTTL = wxsim.Duration(40 * time.Second)
	world.Settings.ComponentTokenOverlap = wxsim.Duration(10 * time.Second)
	world.Settings.AuthorizerTokenTTL = wxsim.Duration(20 * time.Second)
	world.Settings.AuthorizerTokenOverlap = wxsim.Duration(5 * time.Second)
	sb, ctx := startWith(t, sandbox.Options{SimClock: true, World: &world})
	appid := firstMiniProgram(t)
	authorize(t, sb, ctx, appid, flow.AuthOptions{})
	before := sb.Sim.Stats()
	const span = 200 * time.Second
	for elapsed := time.Duration(0); elapsed < span; elapsed += time.Second {
		sb.Sim.Advance(time.Second)
		if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
			t.Fatal(err)
		}
		a, err := sb.Engine.AuthorizerToken(ctx, "", appid)
		if err != nil {
			t.Fatal(err)
		}
		if info := sb.Sim.CheckToken(a.AccessToken); !info.Valid {
			t.Fatalf("after %v: token refused %+v", elapsed, info)
		}
		c, err := sb.Engine.ComponentToken(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if info := sb.Sim.CheckToken(c.Token); !info.Valid {
			t.Fatalf("after %v: component token refused %+v", elapsed, info)
		}
	}
	after := sb.Sim.Stats()
	comp := after.ComponentTokensMinted - before.ComponentTokensMinted
	auth := after.AuthorizerTokensMinted - before.AuthorizerTokensMinted
	// Renewed 1/5 + up to 1/10 of the lifetime early: at most 1/0.7 tokens per lifetime.
	if max := int64(span/(28*time.Second)) + 1; comp > max {
		t.Errorf("%d component tokens in %v of 40 s tokens, want ≤ %d", comp, span, max)
	}
	if max := int64(span/(14*time.Second)) + 1; auth > max {
		t.Errorf("%d authorizer tokens in %v of 20 s tokens, want ≤ %d", auth, span, max)
	}
	if comp < int64(span/(40*time.Second)) || auth < int64(span/(20*time.Second)) {
		t.Errorf("only %d component and %d authorizer tokens in %v: something was handed out expired", comp, auth, span)
	}
	t.Logf("%v: %d component tokens (40 s), %d authorizer tokens (20 s)", span, comp, auth)
}
