package flow_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// start brings up the simulator, the engine and its listener on loopback, sharing the
// simulator's virtual clock, with a ticket already received.
func start(t *testing.T) (*sandbox.Sandbox, context.Context) {
	t.Helper()
	return startWith(t, sandbox.Options{SimClock: true})
}

func startWith(t *testing.T, opts sandbox.Options) (*sandbox.Sandbox, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return sb, ctx
}

// authorize runs a session through the simulator's page and waits for the exchange.
func authorize(t *testing.T, sb *sandbox.Sandbox, ctx context.Context, appid string, opts flow.AuthOptions) storage.Authorizer {
	t.Helper()
	a, err := sb.Engine.StartAuthorization(ctx, sb.Platform.ComponentAppID, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.ApproveAs(ctx, a.Session.ID, appid); err != nil {
		t.Fatal(err)
	}
	s, err := sb.Engine.WaitSession(ctx, a.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, s.AuthorizerAppID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func firstMiniProgram(t *testing.T) string {
	t.Helper()
	for _, a := range wxsim.DefaultWorld().Accounts {
		if a.Kind == "miniprogram" {
			return a.AppID
		}
	}
	t.Fatal("no mini program in the default world")
	return ""
}

func TestHeadlessFlowAndRestart(t *testing.T) {
	sb, ctx := start(t)
	rep, err := sb.RunHeadless(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Authorizers) != 1 || rep.Authorizers[0].RefreshToken == "" || rep.Authorizers[0].NickName == "" {
		t.Fatalf("authorizers = %+v", rep.Authorizers)
	}
	// A new engine on the same database (a restart) hands out the stored token without calling WeChat.
	before := sb.Sim.Stats()
	other := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim})
	a, err := other.AuthorizerToken(ctx, "", rep.Authorizers[0].AppID)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessToken != rep.Authorizers[0].AccessToken {
		t.Fatal("restart changed the token")
	}
	if after := sb.Sim.Stats(); calls(after) != calls(before) {
		t.Fatalf("restart called WeChat: %d → %d calls", calls(before), calls(after))
	}
}

func calls(s wxsim.Stats) int64 {
	var n int64
	for _, c := range s.Calls {
		n += c
	}
	return n
}

func TestOneComponentTokenPerCycleAcrossProcesses(t *testing.T) {
	sb, ctx := start(t)
	appid := sb.Platform.ComponentAppID
	// Three engines with distinct lease holders stand for `serve`, the console and `token`.
	engines := []*flow.Engine{sb.Engine}
	for i := 0; i < 2; i++ {
		engines = append(engines, flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "proc-" + strconv.Itoa(i)}))
	}
	for cycle := 0; cycle < 3; cycle++ {
		done := make(chan error, len(engines)*2)
		for _, e := range engines {
			go func() { _, err := e.RefreshDue(ctx, appid); done <- err }()
			go func() { _, err := e.ComponentToken(ctx, appid); done <- err }()
		}
		for range len(engines) * 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if got := sb.Sim.Stats().ComponentTokensMinted; got != int64(cycle+1) {
			t.Fatalf("cycle %d: %d component tokens minted, want %d", cycle, got, cycle+1)
		}
		sb.Sim.Advance(2 * time.Hour) // past expiry: the next cycle needs a new token
		if err := sb.PushTicket(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnauthorizedAndUpdateAuthorized(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	first := authorize(t, sb, ctx, appid, flow.AuthOptions{CategoryIDs: []int{17, 18}})
	if len(first.FuncInfo) != 2 {
		t.Fatalf("func_info = %v", first.FuncInfo)
	}
	events, stop := sb.Engine.Subscribe(64)
	defer stop()

	// The merchant authorizes again with another permission set: updateauthorized, new refresh token.
	second := authorize(t, sb, ctx, appid, flow.AuthOptions{CategoryIDs: []int{17, 18, 19}})
	if second.RefreshToken == first.RefreshToken || len(second.FuncInfo) != 3 {
		t.Fatalf("after re-authorization: %+v", second)
	}
	waitEvent(t, events, flow.EventPermissionsChanged)
	hist, _ := sb.DB.RefreshTokenHistory(ctx, sb.Platform.ComponentAppID, appid)
	if len(hist) != 2 {
		t.Fatalf("refresh token history = %d entries", len(hist))
	}

	if err := sb.Sim.Unauthorize(ctx, sb.Platform.ComponentAppID, appid); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, flow.EventRevoked)
	_, err := sb.Engine.AuthorizerToken(ctx, "", appid)
	if !flow.NeedsUser(err) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("token of a revoked authorizer: %v", err)
	}
	a, _ := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, appid)
	if a.Status != storage.StatusRevoked || a.RefreshToken == "" {
		t.Fatalf("revoked record lost its history: %+v", a)
	}
}

func waitEvent(t *testing.T, ch <-chan flow.Event, kind flow.EventKind) flow.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

func TestRefreshTokenRecoveredAfterMissedReauthorization(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	orig := authorize(t, sb, ctx, appid, flow.AuthOptions{})

	// The merchant re-authorizes while our listener misses the push and the redirect
	// (e.g. another tool started it): WeChat rotates the refresh token, ours is now stale.
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	c := wxapi.NewClient(nil, wxapi.WithBaseURL(sb.SimURL))
	tok, err := sb.Engine.ComponentToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	pre, err := c.CreatePreAuthCode(ctx, tok.Token, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID, PreAuthCode: pre.PreAuthCode,
		AuthorizerAppID: appid, RedirectURI: "https://elsewhere.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryAuth(ctx, tok.Token, sb.Platform.ComponentAppID, res.AuthCode); err != nil {
		t.Fatal(err) // the other tool exchanged it
	}

	sb.Sim.Advance(6 * time.Minute) // past the old refresh token's grace period: now 61023
	if err := sb.Engine.RefreshAuthorizer(ctx, "", appid); err != nil {
		t.Fatalf("refresh after rotation: %v", err)
	}
	a, _ := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, appid)
	if a.RefreshToken == orig.RefreshToken || a.Status != storage.StatusHealthy {
		t.Fatalf("not recovered: %+v", a)
	}
	evs, _ := sb.Engine.Events(ctx, sb.Platform.ComponentAppID, 20)
	if !hasKind(evs, flow.EventRefreshRecovered) {
		t.Fatal("no recovery event")
	}
}

func TestNeedsReauthorizationWhenWeChatHasNoRefreshToken(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	authorize(t, sb, ctx, appid, flow.AuthOptions{})
	// The merchant cancels while we are not listening: our refresh token is dead and the
	// authorizer list no longer has the account.
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	if err := sb.Sim.Unauthorize(ctx, sb.Platform.ComponentAppID, appid); err != nil {
		t.Fatal(err)
	}
	err := sb.Engine.RefreshAuthorizer(ctx, "", appid)
	if !flow.NeedsUser(err) {
		t.Fatalf("err = %v, want a user-fixable error", err)
	}
	a, _ := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, appid)
	if a.Status != storage.StatusRevoked && a.Status != storage.StatusNeedsReauth {
		t.Fatalf("status = %s", a.Status)
	}
	if a.RefreshToken == "" {
		t.Fatal("refresh token erased")
	}
	if !strings.Contains(err.Error(), "wxauth authorize --biz-appid "+appid) && a.Status == storage.StatusNeedsReauth {
		t.Fatalf("no remedy in %q", err)
	}
}

func hasKind(evs []flow.Event, kind flow.EventKind) bool {
	for _, e := range evs {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// post sends a push to our listener.
func post(t *testing.T, sb *sandbox.Sandbox, query string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(sb.ListenURL+"/wechat/events?"+query, "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func sealTicket(t *testing.T, sb *sandbox.Sandbox, ticket string, created int64) wxcrypt.Push {
	t.Helper()
	c, err := wxcrypt.New(sb.Platform.Token, sb.Platform.EncodingAESKey, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	m := wxapi.PushMessage{AppID: sb.Platform.ComponentAppID, CreateTime: created, InfoType: wxapi.InfoTypeVerifyTicket, ComponentVerifyTicket: ticket}
	p, err := c.SealPush(strings.NewReader("0123456789abcdef"), m.XML(), strconv.FormatInt(created, 10), "42")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestListenerPushes(t *testing.T) {
	sb, ctx := start(t)
	appid := sb.Platform.ComponentAppID
	current, _ := sb.DB.CurrentTicket(ctx, appid)

	// A valid but older ticket (a replayed or delayed push) is acknowledged and ignored.
	old := sealTicket(t, sb, "ticket@@@OLDER", current.CreateTime.Unix()-3600)
	if code, body := post(t, sb, old.Query.Encode(), old.Body); code != 200 || body != "success" {
		t.Fatalf("older ticket: %d %q", code, body)
	}
	if cur, _ := sb.DB.CurrentTicket(ctx, appid); cur.Ticket == "ticket@@@OLDER" {
		t.Fatal("an older ticket replaced the newer one")
	}

	fresh := sealTicket(t, sb, "ticket@@@NEWER", current.CreateTime.Unix()+60)
	forgedQuery := strings.Replace(fresh.Query.Encode(), "msg_signature="+fresh.Query.MsgSignature, "msg_signature=0000000000000000000000000000000000000000", 1)
	foreign := bytes.Replace(fresh.Body, []byte(appid), []byte("wx0000000000000000"), 1)
	cases := []struct {
		name   string
		query  string
		body   []byte
		status int
		reason string
	}{
		{"forged signature", forgedQuery, fresh.Body, 403, "-40001"},
		{"plain signature as msg_signature", strings.Replace(fresh.Query.Encode(), "msg_signature="+fresh.Query.MsgSignature, "msg_signature="+fresh.Query.Signature, 1), fresh.Body, 403, "-40001"},
		{"unknown platform", fresh.Query.Encode(), foreign, 404, "unknown platform"},
		{"not xml", fresh.Query.Encode(), []byte("hello"), 400, "-40002"},
		{"oversized", fresh.Query.Encode(), bytes.Repeat([]byte("x"), 100<<10), 413, "larger"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, sb, tc.query, tc.body)
			if code != tc.status || !strings.Contains(body, tc.reason) {
				t.Fatalf("got %d %q, want %d containing %q", code, body, tc.status, tc.reason)
			}
		})
	}
	if cur, _ := sb.DB.CurrentTicket(ctx, appid); cur.Ticket == "ticket@@@NEWER" {
		t.Fatal("a rejected push changed the ticket")
	}
	if code, body := post(t, sb, fresh.Query.Encode(), fresh.Body); code != 200 || body != "success" {
		t.Fatalf("valid push: %d %q", code, body)
	}
	if cur, _ := sb.DB.CurrentTicket(ctx, appid); cur.Ticket != "ticket@@@NEWER" {
		t.Fatal("the newer ticket was not stored")
	}
}

func TestPasteHashRouterURL(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	// The merchant approves on a link whose redirect_uri is a hash-router page that never
	// reaches us; the push is lost too. The user pastes the address the browser shows.
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: appid, RedirectURI: "https://" + sb.Platform.AuthDomain + "/#/onboard"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.RedirectURL, "?auth_code=") || !strings.HasSuffix(res.RedirectURL, "#/onboard") {
		t.Fatalf("redirect = %s", res.RedirectURL)
	}
	got, err := sb.Engine.AuthorizeWithCode(ctx, "", "  "+res.RedirectURL+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.AppID != appid || got.AccessToken == "" {
		t.Fatalf("pasted authorization = %+v", got)
	}
	// The same code pasted again is refused with WeChat's explanation (single use).
	_, err = sb.Engine.AuthorizeWithCode(ctx, "", res.RedirectURL)
	if wxapi.ErrCode(err) != 61010 || !flow.NeedsUser(err) {
		t.Fatalf("second paste: %v", err)
	}
}

func TestFaultsSurvived(t *testing.T) {
	sb, ctx := start(t)
	var appids []string
	for _, a := range wxsim.DefaultWorld().Accounts {
		authorize(t, sb, ctx, a.AppID, flow.AuthOptions{})
		appids = append(appids, a.AppID)
	}
	sb.Sim.SetFaults(wxsim.Faults{ErrorRate: 0.2, ErrCode: -1, DropRate: 0.1, MalformedRate: 0.1})
	for round := 0; round < 4; round++ {
		sb.Sim.Advance(110 * time.Minute)
		if err := sb.PushTicket(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("ticket push under faults: %v", err)
		}
		for try := 0; try < 5; try++ { // later passes pick up what the faults defeated
			if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
				t.Logf("pass under faults: %v", err)
			}
		}
	}
	sb.Sim.ClearFaults()
	if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
		t.Fatal(err)
	}
	c := wxapi.NewClient(nil, wxapi.WithBaseURL(sb.SimURL))
	for _, appid := range appids {
		a, err := sb.Engine.AuthorizerToken(ctx, "", appid)
		if err != nil {
			t.Fatalf("%s: %v", appid, err)
		}
		if _, err := c.GetAccountBasicInfo(ctx, a.AccessToken); err != nil {
			t.Fatalf("%s token rejected after faults: %v", appid, err)
		}
		if a.RefreshToken == "" {
			t.Fatalf("%s lost its refresh token", appid)
		}
	}
}

func TestQuotaExhaustedStopsCalling(t *testing.T) {
	world := wxsim.DefaultWorld()
	world.Settings.DailyQuota = map[string]int{"api_authorizer_token": 2}
	sb, ctx := startWith(t, sandbox.Options{SimClock: true, World: &world})
	// Quotas reset at midnight China time: run the test early in a quota day, whatever the
	// time of day on this machine, so that the two hours below stay inside one day.
	cst := sb.Sim.Now().In(time.FixedZone("CST", 8*3600))
	early := time.Date(cst.Year(), cst.Month(), cst.Day(), 3, 0, 0, 0, cst.Location())
	if !early.After(cst) {
		early = early.AddDate(0, 0, 1)
	}
	sb.Sim.Advance(early.Sub(cst))
	if err := sb.PushTicket(ctx); err != nil { // the first may be past its 12 h by now
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, a := range world.Accounts {
		authorize(t, sb, ctx, a.AppID, flow.AuthOptions{})
	}
	sb.Sim.Advance(115 * time.Minute) // every access token is due
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// Two refreshes fit the quota; the others of that pass were already in flight when the
	// first 45009 came back. After that the refresher stops calling.
	first := sb.Sim.Stats().Calls["api_authorizer_token"]
	if first < 3 || first > int64(len(world.Accounts)) {
		t.Fatalf("first pass made %d calls", first)
	}
	for range 4 {
		sb.Sim.Advance(time.Minute)
		if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := sb.Sim.Stats().Calls["api_authorizer_token"]; got != first {
		t.Fatalf("api_authorizer_token called %d more times after 45009", got-first)
	}
	snap, err := sb.Engine.Snapshot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Has(flow.SideQuotaExhausted) {
		t.Fatalf("side states = %v", snap.Side)
	}
	evs, _ := sb.Engine.Events(ctx, sb.Platform.ComponentAppID, 50)
	found := false
	for _, e := range evs {
		if e.Code == 45009 && strings.Contains(e.Text(), "clear_quota") {
			found = true
		}
	}
	if !found {
		t.Fatal("no 45009 event explaining clear_quota")
	}
	// Clearing the quota resumes refreshing at once.
	if err := sb.Engine.ClearQuota(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Engine.RefreshDue(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := sb.Sim.Stats().Calls["api_authorizer_token"]; got == first {
		t.Fatal("no refresh after clear_quota")
	}
	if snap, _ := sb.Engine.Snapshot(ctx, ""); snap.Has(flow.SideQuotaExhausted) {
		t.Fatal("still exhausted after clear_quota")
	}
}

func TestInterruptedExchangeIsResumed(t *testing.T) {
	for _, tokenDue := range []bool{false, true} {
		t.Run(map[bool]string{false: "component token valid", true: "component token due at the resume"}[tokenDue], func(t *testing.T) {
			resumeInterruptedExchange(t, tokenDue)
		})
	}
}

// resumeInterruptedExchange: the refresher resumes an exchange a stopped process left; with
// tokenDue, the component token must be renewed first, under the lease the pass already holds.
func resumeInterruptedExchange(t *testing.T, tokenDue bool) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	// The merchant approves; the push is lost and the process that claimed the code stopped
	// before exchanging it (the session is left "exchanging" with the committed code).
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:1/unreachable", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	auth, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: appid, RedirectURI: sb.Platform.PublicURL + "/wechat/auth/callback?session=" + auth.Session.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.DB.ClaimSession(ctx, auth.Session.ID, res.AuthCode, flow.SourceRedirect, "a-stopped-process"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	resumer := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "resumer", ExchangeTimeout: 5 * time.Millisecond})
	sb.Engine.Close() // the sandbox engine hands its lease over
	if tokenDue {
		if _, err := sb.Engine.ComponentToken(ctx, ""); err != nil {
			t.Fatal(err)
		}
		tok, _ := sb.DB.ComponentToken(ctx, sb.Platform.ComponentAppID)
		if err := sb.DB.ExpireComponentToken(ctx, sb.Platform.ComponentAppID, tok.Version, sb.Sim.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := resumer.RefreshDue(ctx, ""); err != nil {
		t.Fatal(err)
	}
	s, err := sb.DB.Session(ctx, auth.Session.ID)
	if err != nil || s.State != storage.SessionDone || s.AuthorizerAppID != appid {
		t.Fatalf("session after resume = %+v, %v", s, err)
	}
	if a, err := sb.DB.Authorizer(ctx, sb.Platform.ComponentAppID, appid); err != nil || a.RefreshToken == "" {
		t.Fatalf("authorizer = %+v, %v", a, err)
	}
}

func TestOneShotCallerReleasesTheLease(t *testing.T) {
	sb, ctx := start(t)
	oneShot := flow.New(flow.Config{Store: sb.DB, Clock: sb.Sim, Holder: "token-cli"})
	if _, err := oneShot.ComponentToken(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if holder, _, _ := sb.DB.LeaseHolder(ctx, "refresh/"+sb.Platform.ComponentAppID); holder != "" {
		t.Fatalf("lease still held by %q after a one-shot call", holder)
	}
	rep, err := sb.Engine.RefreshDue(ctx, "")
	if err != nil || !rep.Leader {
		t.Fatalf("refresher could not lead: %+v %v", rep, err)
	}
}

// TestTicketRepeatsAreCountedNotAppended: WeChat pushes the same ticket several times before
// rotating it; each push is acknowledged and counted on the ticket's one row, and the event log
// records the value once.
func TestTicketRepeatsAreCountedNotAppended(t *testing.T) {
	sb, ctx := start(t)
	appid := sb.Platform.ComponentAppID
	received := func() int {
		evs, err := sb.Engine.Events(ctx, appid, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == flow.EventTicketReceived {
				n++
			}
		}
		return n
	}
	before := received()
	current, _ := sb.DB.CurrentTicket(ctx, appid)
	base := current.CreateTime.Unix() + 3600 // newer than anything the simulator pushes meanwhile
	for i := range 5 {
		p := sealTicket(t, sb, "ticket@@@REPEATED", base+int64(i))
		if code, body := post(t, sb, p.Query.Encode(), p.Body); code != 200 || body != "success" {
			t.Fatalf("push %d: %d %q", i, code, body)
		}
	}
	cur, err := sb.DB.CurrentTicket(ctx, appid)
	if err != nil || cur.Ticket != "ticket@@@REPEATED" || cur.Pushes != 5 || cur.CreateTime.Unix() != base+4 {
		t.Fatalf("current ticket %q pushes %d created %d (%v); want the repeated one, 5 pushes, created %d",
			cur.Ticket, cur.Pushes, cur.CreateTime.Unix(), err, base+4)
	}
	if got := received() - before; got != 1 {
		t.Errorf("%d ticket-received events for one value pushed 5 times, want 1", got)
	}
	p := sealTicket(t, sb, "ticket@@@ROTATED", base+10)
	if code, body := post(t, sb, p.Query.Encode(), p.Body); code != 200 || body != "success" {
		t.Fatalf("rotated push: %d %q", code, body)
	}
	if cur, _ := sb.DB.CurrentTicket(ctx, appid); cur.Ticket != "ticket@@@ROTATED" || cur.Pushes != 1 {
		t.Errorf("after rotation: %q pushes %d", cur.Ticket, cur.Pushes)
	}
	if got := received() - before; got != 2 {
		t.Errorf("%d ticket-received events for two values, want 2", got)
	}
}
