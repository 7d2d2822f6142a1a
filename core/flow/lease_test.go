package flow_test

import (
	"context"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

// TestLongPassKeepsItsLease: a refresher pass that outlives the lease TTL (many authorizers,
// a slow WeChat) keeps renewing its lease, so a second process that tries meanwhile stays a
// follower and no authorizer is refreshed twice.
func TestLongPassKeepsItsLease(t *testing.T) {
	const n = 40
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	world := fleetWorld(n)
	sb, err := sandbox.Start(ctx, sandbox.Options{SimClock: true, World: &world})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	authorizeFleet(t, ctx, sb, world.Accounts)
	sb.Sim.Advance(115 * time.Minute)
	appid := sb.Platform.ComponentAppID
	// Mint the component token first, so that only authorizer refreshes are slow.
	if _, err := sb.Engine.ComponentToken(ctx, appid); err != nil {
		t.Fatal(err)
	}
	// 8 at a time × 300 ms × 5 rounds ≈ 1.5 s, more than two lease TTLs of 600 ms.
	sb.Sim.SetFaults(wxsim.Faults{Path: "/cgi-bin/component/api_authorizer_token", Latency: wxsim.Duration(300 * time.Millisecond)})
	before := sb.Sim.Stats().Calls["api_authorizer_token"]
	leader := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "leader", LeaseTTL: 600 * time.Millisecond})
	other := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "other", LeaseTTL: 600 * time.Millisecond})

	type result struct {
		rep flow.RefreshReport
		err error
	}
	first := make(chan result, 1)
	go func() {
		rep, err := leader.RefreshDue(ctx, appid)
		first <- result{rep, err}
	}()
	var r result
	finished, tried := false, 0
	for i := 0; i < 12; i++ { // the other process keeps trying while the pass runs
		time.Sleep(150 * time.Millisecond)
		if !finished {
			select {
			case r = <-first:
				finished = true
			default:
			}
		}
		rep, err := other.RefreshDue(ctx, appid)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Refreshed > 0 || rep.Failed > 0 || (rep.Leader && !finished) {
			t.Errorf("the other process took over a live pass: %+v", rep)
		}
		if !finished {
			tried++
		}
	}
	if !finished {
		r = <-first
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if tried < 3 {
		t.Fatalf("only %d tries during the pass: the pass was too short to test anything", tried)
	}
	calls := sb.Sim.Stats().Calls["api_authorizer_token"] - before
	if !r.rep.Leader || r.rep.Refreshed != n || calls != n {
		t.Fatalf("leader %+v; %d api_authorizer_token calls for %d authorizers", r.rep, calls, n)
	}
}
