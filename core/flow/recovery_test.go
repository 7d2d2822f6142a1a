package flow_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// supersede mints a component token at the simulator as another system would, then lets
// WeChat's 5-minute overlap pass: the token wxauth holds is dead at WeChat (40001) although
// its stored expiry is more than an hour away.
func supersede(t *testing.T, sb *sandbox.Sandbox, ctx context.Context) {
	t.Helper()
	ticket, ok, err := sb.Engine.CurrentTicket(ctx, sb.Platform.ComponentAppID)
	if err != nil || !ok {
		t.Fatalf("no ticket: %v", err)
	}
	other := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(sb.SimURL))
	if _, err := other.ComponentToken(ctx, sb.Platform.ComponentAppID, sb.Platform.AppSecret, ticket.Value); err != nil {
		t.Fatal(err)
	}
	sb.Sim.Advance(301 * time.Second)
}

// TestRejectedComponentTokenIsReplacedEverywhere: every component call (here
// api_create_preauthcode, then api_query_auth and api_get_authorizer_info) recovers from a
// component token another system superseded, by minting once and calling again.
func TestRejectedComponentTokenIsReplacedEverywhere(t *testing.T) {
	for _, when := range []string{"before the session starts", "while the merchant approves"} {
		t.Run(when, func(t *testing.T) {
			sb, ctx := start(t)
			comp := sb.Platform.ComponentAppID
			first, err := sb.Engine.ComponentToken(ctx, comp)
			if err != nil {
				t.Fatal(err)
			}
			if when == "before the session starts" {
				supersede(t, sb, ctx)
			}
			auth, err := sb.Engine.StartAuthorization(ctx, comp, flow.AuthOptions{})
			if err != nil {
				t.Fatalf("StartAuthorization after the token was superseded: %v", err)
			}
			if when == "while the merchant approves" {
				supersede(t, sb, ctx)
			}
			if _, err := sb.ApproveAs(ctx, auth.Session.ID, ""); err != nil {
				t.Fatal(err)
			}
			s, err := sb.Engine.WaitSession(ctx, auth.Session.ID)
			if err != nil {
				t.Fatalf("exchange after the token was superseded: %v", err)
			}
			a, err := sb.Engine.Authorizer(ctx, comp, s.AuthorizerAppID)
			if err != nil || a.NickName == "" {
				t.Fatalf("authorizer %+v, %v: want it stored with its info", a, err)
			}
			now, _ := sb.Engine.ComponentToken(ctx, comp)
			if now.Token == first.Token {
				t.Fatal("the superseded component token is still the stored one")
			}
			if got := sb.Sim.Stats().ComponentTokensMinted; got != 3 {
				t.Errorf("%d component tokens minted, want 3 (ours, the other system's, our replacement)", got)
			}
			evs, _ := sb.Engine.Events(ctx, comp, 50)
			if !hasKind(evs, flow.EventSuperseded) {
				t.Error("no event says the token was superseded")
			}
		})
	}
}

// TestDeadComponentTokenIsNotReportedValid: when the replacement cannot be minted, the token
// WeChat rejected is no longer shown as valid for its remaining hours.
func TestDeadComponentTokenIsNotReportedValid(t *testing.T) {
	sb, ctx := start(t)
	comp := sb.Platform.ComponentAppID
	if _, err := sb.Engine.ComponentToken(ctx, comp); err != nil {
		t.Fatal(err)
	}
	supersede(t, sb, ctx)
	sb.Sim.SetFaults(wxsim.Faults{Path: wxapi.PathComponentToken, ErrCode: -1})
	if _, err := sb.Engine.StartAuthorization(ctx, comp, flow.AuthOptions{}); wxapi.ErrCode(err) != -1 {
		t.Fatalf("StartAuthorization = %v, want WeChat's -1 from the replacement mint", err)
	}
	snap, err := sb.Engine.Snapshot(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	if snap.ComponentToken == nil || snap.ComponentToken.ValidAt(snap.Now) || snap.State != flow.StateTicketReady {
		t.Fatalf("after the rejection: token %+v, state %s; want it expired and TicketReady", snap.ComponentToken, snap.State)
	}
	if snap.FaultsLastHour["-1"] == 0 {
		t.Errorf("faults last hour = %v, want the -1 answers counted", snap.FaultsLastHour)
	}
}

// serving runs the refresher of sb's engine, as `serve` does, until it holds the lease.
func serving(t *testing.T, sb *sandbox.Sandbox, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); sb.Engine.RunRefresher(ctx, time.Hour) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, "the refresher to take the lease", func() bool {
		holder, _, _ := sb.DB.LeaseHolder(ctx, "refresh/"+sb.Platform.ComponentAppID)
		return holder != ""
	})
}

// TestRenewWhileAnotherProcessHoldsTheLease: `wxauth token --renew` and the console's R/r
// reach the lease holder through the store; the holder renews and the lease stays with it.
func TestRenewWhileAnotherProcessHoldsTheLease(t *testing.T) {
	sb, ctx := start(t)
	comp := sb.Platform.ComponentAppID
	appid := authorize(t, sb, ctx, "", flow.AuthOptions{}).AppID
	serving(t, sb, ctx)
	holder, _, _ := sb.DB.LeaseHolder(ctx, "refresh/"+comp)
	cli := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "token-cli"})

	before := sb.Sim.Stats().ComponentTokensMinted
	if err := cli.RefreshComponentToken(ctx, comp); err != nil {
		t.Fatalf("renew the component token while serve holds the lease: %v", err)
	}
	if got := sb.Sim.Stats().ComponentTokensMinted; got != before+1 {
		t.Errorf("%d component tokens minted by the renewal, want 1", got-before)
	}
	prev, _ := cli.Authorizer(ctx, comp, appid)
	if err := cli.RefreshAuthorizer(ctx, comp, appid); err != nil {
		t.Fatalf("renew %s while serve holds the lease: %v", appid, err)
	}
	if cur, _ := cli.Authorizer(ctx, comp, appid); cur.AccessToken == prev.AccessToken {
		t.Error("the authorizer token did not change")
	}
	if now, _, _ := sb.DB.LeaseHolder(ctx, "refresh/"+comp); now != holder {
		t.Errorf("lease holder %q, want %q still (the holder did the work)", now, holder)
	}
}

// TestHolderThatCannotRenewSaysWhy: when WeChat fails every call, the requester gets the
// holder's errcode and rid, as a failure that is not the user's to fix (exit 1, not 3).
func TestHolderThatCannotRenewSaysWhy(t *testing.T) {
	sb, ctx := start(t)
	comp := sb.Platform.ComponentAppID
	// A valid token first, so the holder's first pass does not mint one that answers the
	// request before the faults begin.
	if _, err := sb.Engine.ComponentToken(ctx, comp); err != nil {
		t.Fatal(err)
	}
	serving(t, sb, ctx)
	sb.Sim.SetFaults(wxsim.Faults{Path: wxapi.PathComponentToken, ErrCode: -1})
	cli := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "token-cli"})
	err := cli.RefreshComponentToken(ctx, comp)
	var re *flow.RenewalError
	if !errors.As(err, &re) || re.Code != -1 || !strings.Contains(err.Error(), "rid") {
		t.Fatalf("renewal = %v, want the holder's -1 with its rid", err)
	}
	if flow.NeedsUser(err) {
		t.Error("a WeChat system error is reported as the user's to fix")
	}
}

// TestNoTicketIsSaidAtOnce: before the first ticket, `token` says so without waiting for a
// lease holder (which could not mint either).
func TestNoTicketIsSaidAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	serve := flow.New(flow.Config{Store: db, Holder: "serve"})
	p, err := serve.AddPlatform(ctx, flow.Platform{ComponentAppID: "wx00000000000000ab", AppSecret: strings.Repeat("s", 32),
		Token: "token", EncodingAESKey: strings.Repeat("A", 43), AuthDomain: "auth.example.com", APIBase: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := serve.RefreshDue(ctx, p.ComponentAppID); err != nil || !rep.Leader {
		t.Fatalf("serve could not take the lease: %+v %v", rep, err)
	}
	cli := flow.New(flow.Config{Store: db, Holder: "token-cli"})
	for name, call := range map[string]func() error{
		"token":         func() error { _, err := cli.ComponentToken(ctx, ""); return err },
		"token --renew": func() error { return cli.RefreshComponentToken(ctx, "") },
	} {
		err := call()
		var ue *flow.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "no component_verify_ticket") {
			t.Errorf("%s = %v, want the no-ticket explanation", name, err)
		}
	}
}

// TestGrantLostMidExchangeIsRecovered: a process used the code at WeChat (api_query_auth
// answered) and stopped before storing the grant. The resumed exchange meets 61010; the grant
// is then recovered from api_get_authorizer_list, its access token renewed, and the session
// finished with the account: nothing the merchant did is lost.
func TestGrantLostMidExchangeIsRecovered(t *testing.T) {
	sb, ctx := start(t)
	comp := sb.Platform.ComponentAppID
	appid := firstMiniProgram(t)
	if err := sb.Sim.SetPlatformURLs(comp, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err) // no push: only the dead process had the code
	}
	auth, err := sb.Engine.StartAuthorization(ctx, comp, flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: comp, PreAuthCode: auth.Session.PreAuthCode,
		AuthorizerAppID: appid, RedirectURI: sb.Platform.PublicURL + "/wechat/auth/callback?session=" + auth.Session.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.DB.ClaimSession(ctx, auth.Session.ID, res.AuthCode, flow.SourceRedirect, "a-stopped-process"); err != nil {
		t.Fatal(err)
	}
	// The stopped process's call reached WeChat; its answer was lost with the process.
	tok, err := sb.Engine.ComponentToken(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	c := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(sb.SimURL))
	if _, err := c.QueryAuth(ctx, tok.Token, comp, res.AuthCode); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // past the resumer's exchange timeout
	resumer := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "resumer", ExchangeTimeout: 5 * time.Millisecond})
	sb.Engine.Close()
	if _, err := resumer.RefreshDue(ctx, comp); err != nil {
		t.Fatal(err)
	}
	resumer.Close() // waits for the recovery in the background
	s, err := resumer.Session(ctx, auth.Session.ID)
	if err != nil || s.State != flow.SessionDone || s.AuthorizerAppID != appid {
		evs, _ := resumer.Events(ctx, comp, 20)
		for _, ev := range evs {
			t.Log(ev.Kind, ev.Code, ev.Text())
		}
		t.Fatalf("session after the recovery: %s %s, %v", s.State, s.AuthorizerAppID, err)
	}
	a, err := resumer.Authorizer(ctx, comp, appid)
	if err != nil || a.RefreshToken == "" || a.Health(sb.Sim.Now()) != flow.HealthOK {
		t.Fatalf("recovered authorizer: %+v, %v", a, err)
	}
	if ti := sb.Sim.CheckToken(a.AccessToken); !ti.Valid || ti.AppID != appid {
		t.Fatalf("the recovered access token is refused at WeChat: %+v", ti)
	}
}
