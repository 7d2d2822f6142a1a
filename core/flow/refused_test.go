package flow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// A code WeChat refuses (a typo, a forged redirect) never uses up the merchant's
// authorization: the session waits on, and the genuine code completes it.

// TestForgedCallbackKeepsTheSession: anyone can call our callback with a made-up auth_code;
// the page says it did not work, the session stays pending (its launch page still works), and
// the merchant's approval then completes it.
func TestForgedCallbackKeepsTheSession(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, forged := range []string{"bogus", "queryauthcode@@@" + strings.Repeat("f", 40)} {
		page := callback(t, sb, auth.Session.ID, forged)
		for _, want := range []string{"Authorization failed", "api_query_auth: 61009", "still waits"} {
			if !strings.Contains(page, want) {
				t.Errorf("callback page for %q lacks %q:\n%s", forged, want, page)
			}
		}
		s, err := sb.Engine.Session(ctx, auth.Session.ID)
		if err != nil || s.State != flow.SessionPending || s.AuthCode != "" || !s.Waiting(sb.Engine.Now()) {
			t.Fatalf("session after the forged code %q: %+v %v", forged, s, err)
		}
	}
	snap, err := sb.Engine.Snapshot(ctx, "")
	if err != nil || snap.Session == nil || !snap.Session.Waiting(snap.Now) || snap.State != flow.StateAuthorizing {
		t.Fatalf("snapshot after forged codes: state %s session %+v %v", snap.State, snap.Session, err)
	}
	// The merchant approves through the launch page; the redirect (or the push) completes it.
	if _, err := sb.ApproveAs(ctx, auth.Session.ID, appid); err != nil {
		t.Fatal(err)
	}
	done, err := sb.Engine.WaitSession(ctx, auth.Session.ID)
	if err != nil || done.AuthorizerAppID != appid {
		t.Fatalf("session after the approval: %+v %v", done, err)
	}
	if st := authorizerStatus(t, sb, appid); st != storage.StatusHealthy {
		t.Fatalf("authorizer %s", st)
	}
}

// TestRefusedPasteYieldsToTheGenuinePush: a mistyped code is being exchanged when the
// genuine `authorized` push arrives; the push waits for WeChat's verdict on the typo and then
// completes the session.
func TestRefusedPasteYieldsToTheGenuinePush(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// WeChat is slow to answer: the typo's exchange is still in flight when the push comes.
	sb.Sim.SetFaults(wxsim.Faults{Path: wxapi.PathQueryAuth, Latency: wxsim.Duration(500 * time.Millisecond)})
	pasted := make(chan error, 1)
	go func() {
		_, err := sb.Engine.AuthorizeWithCode(ctx, "", "queryauthcode@@@"+strings.Repeat("0", 40))
		pasted <- err
	}()
	waitUntil(t, "the typo's exchange", func() bool {
		s, _ := sb.Engine.Session(ctx, auth.Session.ID)
		return s.State == flow.SessionExchanging
	})
	if _, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: appid}); err != nil {
		t.Fatal(err)
	}
	if err := <-pasted; wxapi.ErrCode(err) != wxapi.CodeAuthCodeInvalid || !flow.NeedsUser(err) {
		t.Fatalf("the typo: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done, err := sb.Engine.WaitSession(wctx, auth.Session.ID)
	if err != nil || done.AuthorizerAppID != appid || done.CodeSource != flow.SourcePush {
		t.Fatalf("session: %+v %v", done, err)
	}
}

// TestRefusedCodeAfterThePreAuthCodeFails: once the pre_auth_code is over, no genuine code
// can come any more; a refused one ends the session as before.
func TestRefusedCodeAfterThePreAuthCodeFails(t *testing.T) {
	sb, ctx := start(t)
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sb.Sim.Advance(31 * time.Minute)
	page := callback(t, sb, auth.Session.ID, "queryauthcode@@@"+strings.Repeat("e", 40))
	if !strings.Contains(page, "61009") {
		t.Errorf("callback page:\n%s", page)
	}
	if s, _ := sb.Engine.Session(ctx, auth.Session.ID); s.State != flow.SessionFailed {
		t.Fatalf("session after a refused code past the pre_auth_code: %s", s.State)
	}
}

// TestUnreachableWeChatKeepsTheCode: WeChat cannot be reached when the redirect brings the
// genuine code; the code is kept (the session stays exchanging) and a refresher exchanges it
// once WeChat answers again.
func TestUnreachableWeChatKeepsTheCode(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: appid})
	if err != nil {
		t.Fatal(err)
	}
	sb.Sim.SetFaults(wxsim.Faults{Path: wxapi.PathQueryAuth, HTTPStatus: 502})
	if page := callback(t, sb, auth.Session.ID, res.AuthCode); !strings.Contains(page, "the code is kept") {
		t.Errorf("callback page while WeChat fails:\n%s", page)
	}
	if s, _ := sb.Engine.Session(ctx, auth.Session.ID); s.State != flow.SessionExchanging || s.AuthCode != res.AuthCode {
		t.Fatalf("session while WeChat fails: %s %q", s.State, s.AuthCode)
	}
	sb.Sim.ClearFaults()
	resumer := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "resumer", ExchangeTimeout: time.Millisecond})
	defer resumer.Close()
	waitUntil(t, "the refresher to exchange the kept code", func() bool {
		if _, err := resumer.RefreshDue(ctx, ""); err != nil {
			t.Fatal(err)
		}
		s, _ := sb.Engine.Session(ctx, auth.Session.ID)
		return s.State == flow.SessionDone && s.AuthorizerAppID == appid
	})
}
