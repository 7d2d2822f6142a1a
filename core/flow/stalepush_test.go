package flow_test

import (
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// Late, replayed and unknown pushes, through the listener: an `unauthorized` push revokes an
// account only when WeChat confirms it, and a push replayed to another process changes nothing.

// TestUnauthorizedPushIsConfirmedWithWeChat: the merchant cancels and authorizes again; the
// old cancellation replayed to another process, or arriving late inside the clock-skew window,
// leaves the fresh authorization alone. A genuine cancellation revokes; one for an account
// wxauth never had is ignored.
func TestUnauthorizedPushIsConfirmedWithWeChat(t *testing.T) {
	sb, ctx := start(t)
	rec := recordPushes(t, sb)
	appid := firstMiniProgram(t)
	authorize(t, sb, ctx, appid, flow.AuthOptions{})
	events, stop := sb.Engine.Subscribe(256)
	defer stop()

	// The merchant cancels (the simulator's control API): WeChat confirms, the account is revoked.
	simControl(t, sb, "/sim/unauthorize", `{"authorizer_appid":"`+appid+`"}`)
	waitEventAbout(t, events, flow.EventRevoked, appid, "cancelled its authorization")
	if st := authorizerStatus(t, sb, appid); st != storage.StatusRevoked {
		t.Fatalf("after a genuine cancellation: %s", st)
	}
	cancelled := rec.last(t, wxapi.InfoTypeUnauthorized)

	// A minute later the merchant authorizes again.
	sb.Sim.Advance(time.Minute)
	again := authorize(t, sb, ctx, appid, flow.AuthOptions{})
	if again.Status != storage.StatusHealthy {
		t.Fatalf("after re-authorization: %s", again.Status)
	}

	// The old push, replayed byte for byte to another process: WeChat still lists the account.
	other := startOtherProcess(t, sb)
	otherEvents, stopOther := other.eng.Subscribe(64)
	defer stopOther()
	replay(t, other.listenURL, cancelled)
	waitEventAbout(t, otherEvents, flow.EventPushUnknown, appid, "ignored a stale unauthorized push")

	// A late push, sent before the re-authorization but inside the 5-minute skew window.
	late := sealed(t, sb, wxapi.PushMessage{CreateTime: again.AuthorizedAt.Add(-30 * time.Second).Unix(),
		InfoType: wxapi.InfoTypeUnauthorized, AuthorizerAppID: appid})
	replay(t, sb.ListenURL, late)
	waitEventAbout(t, events, flow.EventPushUnknown, appid, "ignored a stale unauthorized push")
	if st := authorizerStatus(t, sb, appid); st != storage.StatusHealthy {
		t.Fatalf("a stale unauthorized push changed the account to %s", st)
	}
	if _, err := sb.Engine.AuthorizerToken(ctx, "", appid); err != nil {
		t.Fatalf("token after the stale pushes: %v", err)
	}

	// An account wxauth never had: recorded as ignored, not as a cancellation.
	const stranger = "wx00000000000000aa"
	replay(t, sb.ListenURL, sealed(t, sb, wxapi.PushMessage{CreateTime: sb.Sim.Now().Unix(),
		InfoType: wxapi.InfoTypeUnauthorized, AuthorizerAppID: stranger}))
	ev := waitEventAbout(t, events, flow.EventPushUnknown, stranger, "an account wxauth never had ("+stranger+"): ignored")
	logged, _ := sb.Engine.Events(ctx, sb.Platform.ComponentAppID, 100)
	for _, e := range logged {
		if e.AuthorizerAppID == stranger && e.Kind != flow.EventPushUnknown {
			t.Errorf("event about the stranger: %+v", e)
		}
	}
	if ev.Level == flow.LevelError {
		t.Errorf("the ignored push is an error: %+v", ev)
	}
	if _, err := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, stranger); err == nil {
		t.Error("an unauthorized push created an account")
	}
}

// TestUnauthorizedPushWhenWeChatCannotConfirm: WeChat cannot be asked (its info API fails);
// the push's CreateTime decides, and in doubt the account is kept.
func TestUnauthorizedPushWhenWeChatCannotConfirm(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	a := authorize(t, sb, ctx, appid, flow.AuthOptions{})
	events, stop := sb.Engine.Subscribe(256)
	defer stop()
	sb.Sim.SetFaults(wxsim.Faults{Path: wxapi.PathGetAuthorizerInfo, HTTPStatus: 502})

	// Within the skew window of the latest authorization: not trusted.
	replay(t, sb.ListenURL, sealed(t, sb, wxapi.PushMessage{CreateTime: a.AuthorizedAt.Add(time.Minute).Unix(),
		InfoType: wxapi.InfoTypeUnauthorized, AuthorizerAppID: appid}))
	waitEventAbout(t, events, flow.EventPushUnknown, appid, "WeChat could not confirm it")
	if st := authorizerStatus(t, sb, appid); st != storage.StatusHealthy {
		t.Fatalf("an unconfirmed push inside the skew window changed the account to %s", st)
	}

	// Clearly after it: the cancellation holds.
	sb.Sim.Advance(10 * time.Minute)
	replay(t, sb.ListenURL, sealed(t, sb, wxapi.PushMessage{CreateTime: sb.Sim.Now().Unix(),
		InfoType: wxapi.InfoTypeUnauthorized, AuthorizerAppID: appid}))
	waitEventAbout(t, events, flow.EventRevoked, appid, "cancelled its authorization")
	if st := authorizerStatus(t, sb, appid); st != storage.StatusRevoked {
		t.Fatalf("after an unconfirmed but newer push: %s", st)
	}
}

// TestReplayedPushesAtAnotherProcess: two engines share one database, as `serve` and the
// console do. Pushes the first one acted on, replayed to the second (whose replay cache is
// empty), change nothing: every decision is made in the store or by WeChat.
func TestReplayedPushesAtAnotherProcess(t *testing.T) {
	sb, ctx := start(t)
	rec := recordPushes(t, sb)
	other := startOtherProcess(t, sb)
	appid := firstMiniProgram(t)

	// Tickets: an older one never replaces a newer one.
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	oldTicket := rec.last(t, wxapi.InfoTypeVerifyTicket)
	sb.Sim.Advance(10 * time.Minute)
	if err := sb.Sim.PushTicket(ctx, sb.Platform.ComponentAppID, true); err != nil {
		t.Fatal(err)
	}
	current, _ := sb.DB.CurrentTicket(ctx, sb.Platform.ComponentAppID)
	if current.Ticket == oldTicket.msg.ComponentVerifyTicket {
		t.Fatal("the ticket did not rotate")
	}
	replay(t, other.listenURL, oldTicket)
	if now, _ := sb.DB.CurrentTicket(ctx, sb.Platform.ComponentAppID); now.Ticket != current.Ticket {
		t.Fatal("a replayed older ticket replaced the current one")
	}

	// An authorization completed by its push at the first process.
	first, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: first.Session.PreAuthCode, AuthorizerAppID: appid}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Engine.WaitSession(ctx, first.Session.ID); err != nil {
		t.Fatal(err)
	}
	authorized := rec.last(t, wxapi.InfoTypeAuthorized)
	// The user starts onboarding another account; then the push is replayed to the other process.
	next, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exchanges := sb.Sim.Stats().Calls["api_query_auth"]
	replay(t, other.listenURL, authorized)
	other.stop() // waits for anything the replay started in the background
	if s, _ := sb.Engine.Session(ctx, first.Session.ID); s.State != flow.SessionDone || s.AuthorizerAppID != appid {
		t.Fatalf("the authorized session after the replay: %+v", s)
	}
	if s, _ := sb.Engine.Session(ctx, next.Session.ID); s.State != flow.SessionPending {
		t.Fatalf("the waiting session after the replay: %s", s.State)
	}
	if got := sb.Sim.Stats().Calls["api_query_auth"]; got != exchanges {
		t.Fatalf("the replayed push was exchanged again (%d → %d calls)", exchanges, got)
	}
	if s, _ := sb.DB.SessionByPreAuthCode(ctx, sb.Platform.ComponentAppID, authorized.msg.PreAuthCode); s.ID != first.Session.ID {
		t.Fatalf("the replay made a session of its own: %+v", s)
	}
	if st := authorizerStatus(t, sb, appid); st != storage.StatusHealthy {
		t.Fatalf("authorizer after the replay: %s", st)
	}
	snap, _ := sb.Engine.Snapshot(ctx, "")
	if snap.Session == nil || snap.Session.ID != next.Session.ID || !snap.Session.Waiting(snap.Now) {
		t.Fatalf("the pipeline's session after the replay: %+v", snap.Session)
	}
}
