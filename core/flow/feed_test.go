package flow_test

import (
	"context"
	"testing"
	"time"

	"wxauth/core/flow"
)

// waitChange waits for a change batch holding the credential key that satisfies ok.
func waitChange(t *testing.T, ch <-chan []flow.CredentialChange, ok func(flow.CredentialChange) bool) flow.CredentialChange {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case batch := <-ch:
			for _, c := range batch {
				if ok(c) {
					return c
				}
			}
		case <-deadline:
			t.Fatal("no matching change within 30 s")
		}
	}
}

// The feed of one process sees a token another process renewed on the same database, and a
// revocation, without any event of its own.
func TestTokenFeedFollowsTheStore(t *testing.T) {
	sb, ctx := start(t)
	comp := sb.Platform.ComponentAppID
	a := authorize(t, sb, ctx, firstMiniProgram(t), flow.AuthOptions{})

	reader := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "reader"})
	feed := reader.NewTokenFeed(20 * time.Millisecond)
	changes, stop := feed.Subscribe(16)
	defer stop()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go feed.Run(runCtx)
	select {
	case <-feed.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("feed never became ready")
	}
	got, ok := feed.Get(comp, a.AppID)
	if !ok || got.Token != a.AccessToken || !got.Usable(sb.Sim.Now()) {
		t.Fatalf("feed holds %+v, want the stored token", got)
	}
	if c, ok := feed.Get(comp, ""); !ok || c.Token == "" || c.Ticket == "" {
		t.Fatalf("component credential %+v", c)
	}

	// Another process (the sandbox's engine) renews the authorizer token.
	if err := sb.Engine.RefreshAuthorizer(ctx, comp, a.AppID); err != nil {
		t.Fatal(err)
	}
	renewed, err := sb.DB.Authorizer(ctx, comp, a.AppID)
	if err != nil {
		t.Fatal(err)
	}
	c := waitChange(t, changes, func(c flow.CredentialChange) bool {
		return c.AuthorizerAppID == a.AppID && c.Token == renewed.AccessToken
	})
	if c.Removed || c.Token == a.AccessToken {
		t.Fatalf("change %+v", c)
	}

	// The merchant revokes: the credential turns unusable.
	if err := sb.Sim.Unauthorize(ctx, comp, a.AppID); err != nil {
		t.Fatal(err)
	}
	c = waitChange(t, changes, func(c flow.CredentialChange) bool {
		return c.AuthorizerAppID == a.AppID && c.Status == flow.AuthorizerRevoked
	})
	if c.Usable(sb.Sim.Now()) {
		t.Fatal("a revoked authorizer's token is usable")
	}
}
