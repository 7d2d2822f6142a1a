package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// TestFullPath drives the whole flow through the commands, each call a fresh cli.Main on the
// same database as separate processes would be: serve receives the ticket the simulator
// pushes, token mints the component token, authorize finishes with the pasted redirect, and
// the tokens are proven at the simulator.
func TestFullPath(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t)

	serve, stop := startServe(t, e.db)
	if !strings.Contains(serve.out.String(), "serve: listening on http://"+e.addr+"\n") {
		t.Errorf("serve stdout: %q", serve.out.String())
	}
	if err := e.sim.PushTicket(ctx, sandboxAppID, false); err != nil {
		t.Fatalf("ticket push: %v", err)
	}
	var tk map[string]any
	wxJSON(t, e.db, &tk, "ticket", "show")
	if !sameKeys(tk, "component_appid", "ticket", "received_at", "age_seconds", "created_at", "expires_at", "source", "last_push_at") {
		t.Errorf("ticket show --json keys: %v", tk)
	}
	if tk["component_appid"] != sandboxAppID || tk["ticket"] != e.sim.CurrentTicket(sandboxAppID) || tk["source"] != "push" {
		t.Errorf("ticket show --json: %v", tk)
	}
	if age, ok := tk["age_seconds"].(float64); !ok || age < 0 || age > 60 {
		t.Errorf("age_seconds %v", tk["age_seconds"])
	}
	assertRFC3339(t, tk["received_at"])

	comp := wxOK(t, e.db, "token")
	compTok := strings.TrimSuffix(comp.out, "\n")
	if compTok == "" || strings.ContainsAny(compTok, " \n") || comp.err != "" {
		t.Fatalf("token: stdout %q stderr %q", comp.out, comp.err)
	}
	if ti := e.checkToken(t, compTok); !ti.Valid || ti.Kind != "component" || ti.AppID != sandboxAppID {
		t.Errorf("the component token is not valid at the simulator: %+v", ti)
	}
	var tj map[string]any
	wxJSON(t, e.db, &tj, "token", "component")
	if tj["token"] != compTok || !sameKeys(tj, "token", "expires_at") {
		t.Errorf("token --json: %v (want token %s)", tj, compTok)
	}
	assertRFC3339(t, tj["expires_at"])

	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d on SIGTERM\nstderr: %s", code, serve.err.String())
	}
	if !strings.Contains(serve.err.String(), "component_verify_ticket received from push") {
		t.Errorf("serve did not report the ticket on stderr:\n%s", serve.err.String())
	}

	// No serve now: the launch page comes from authorize's own listener, and the approval's
	// push finds nobody, so the code arrives by paste.
	s := startSession(t, e.db)
	res := e.approve(t, s, coffeeAppID, true)
	r := wxOK(t, e.db, "authorize", "--no-browser", "--code", res.RedirectURL)
	for _, want := range []string{"authorized: 拾光咖啡点单 (" + coffeeAppID + ")", "miniprogram", "17 帐号管理", "code from    paste"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("authorize output lacks %q:\n%s", want, r.out)
		}
	}

	at := wxOK(t, e.db, "token", coffeeAppID)
	authTok := strings.TrimSuffix(at.out, "\n")
	if strings.Count(at.out, "\n") != 1 || authTok == "" {
		t.Fatalf("token APPID printed %q", at.out)
	}
	if ti := e.checkToken(t, authTok); !ti.Valid || ti.Kind != "authorizer" || ti.AppID != coffeeAppID || ti.ComponentAppID != sandboxAppID {
		t.Errorf("the authorizer token is not valid at the simulator: %+v", ti)
	}

	// Persistence: later processes get the stored tokens, nothing is minted again.
	before := e.sim.Stats()
	if again := wxOK(t, e.db, "token", coffeeAppID); again.out != at.out {
		t.Errorf("second token call gave %q, want the stored %q", again.out, at.out)
	}
	if again := wxOK(t, e.db, "token"); again.out != comp.out {
		t.Errorf("second component token call gave %q, want the stored %q", again.out, comp.out)
	}
	after := e.sim.Stats()
	if after.ComponentTokensMinted != 1 || after.AuthorizerTokensMinted != before.AuthorizerTokensMinted {
		t.Errorf("tokens minted again: component %d, authorizer %d→%d", after.ComponentTokensMinted,
			before.AuthorizerTokensMinted, after.AuthorizerTokensMinted)
	}

	var list []map[string]any
	wxJSON(t, e.db, &list, "authorizers")
	if len(list) != 1 {
		t.Fatalf("authorizers --json: %v", list)
	}
	a := list[0]
	if !sameKeys(a, "authorizer_appid", "nick_name", "kind", "status", "access_token_expires_at", "has_refresh_token", "func_info") {
		t.Errorf("authorizers --json keys: %v", a)
	}
	if a["authorizer_appid"] != coffeeAppID || a["nick_name"] != "拾光咖啡点单" || a["kind"] != "miniprogram" ||
		a["status"] != storage.StatusHealthy || a["has_refresh_token"] != true {
		t.Errorf("authorizers --json: %v", a)
	}
	assertRFC3339(t, a["access_token_expires_at"])
	table := wxOK(t, e.db, "authorizers").out
	for _, want := range []string{"AUTHORIZER APPID", coffeeAppID, "拾光咖啡点单", "healthy", "in 1h59m", "yes"} {
		if !strings.Contains(table, want) {
			t.Errorf("authorizers table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, authTok) {
		t.Error("the authorizers table shows the token")
	}

	var st struct {
		Now       string `json:"now"`
		Platforms []struct {
			ComponentAppID string           `json:"component_appid"`
			State          string           `json:"state"`
			SideStates     []any            `json:"side_states"`
			Ticket         map[string]any   `json:"ticket"`
			ComponentToken map[string]any   `json:"component_token"`
			Session        map[string]any   `json:"session"`
			Authorizers    map[string]int   `json:"authorizers"`
			CallsToday     map[string]int   `json:"calls_today"`
			Events         []map[string]any `json:"events"`
		} `json:"platforms"`
	}
	wxJSON(t, e.db, &st, "status")
	assertRFC3339(t, st.Now)
	if len(st.Platforms) != 1 {
		t.Fatalf("status --json: %+v", st)
	}
	p := st.Platforms[0]
	if p.ComponentAppID != sandboxAppID || p.State != "Authorized" || len(p.SideStates) != 0 {
		t.Errorf("status: %s %s %v", p.ComponentAppID, p.State, p.SideStates)
	}
	if p.Authorizers["healthy"] != 1 || p.Authorizers["total"] != 1 {
		t.Errorf("status authorizers %v", p.Authorizers)
	}
	if p.CallsToday["api_component_token"] != 1 || p.CallsToday["api_query_auth"] != 1 {
		t.Errorf("status calls_today %v", p.CallsToday)
	}
	if p.Ticket == nil || p.ComponentToken == nil || p.Session["state"] != storage.SessionDone || p.Session["code_source"] != "paste" {
		t.Errorf("status ticket/token/session: %v %v %v", p.Ticket, p.ComponentToken, p.Session)
	}
	if len(p.Events) != 5 {
		t.Errorf("status events: %d, want the default 5", len(p.Events))
	}
	for _, ev := range p.Events {
		assertRFC3339(t, ev["at"])
	}
	text := wxOK(t, e.db, "status").out
	for _, want := range []string{"platform " + sandboxAppID + "  Authorized", "1/1 healthy", "api_query_auth 1", "recent events", "authorized"} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{compTok, authTok, sandboxSecret} {
		if strings.Contains(text, secret) {
			t.Error("status shows a secret")
		}
	}
}

// TestAuthorizeWaitsForPush: authorize runs while serve owns the listen address; the
// merchant's approval reaches serve as an `authorized` push, and authorize sees the session
// finish through the shared database.
func TestAuthorizeWaitsForPush(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	_, stop := startServe(t, e.db)
	auth := startWX(t, e.db, "", "authorize", "--no-browser", "--json", "--timeout", "30s", "--auth-type", "2")
	db := e.storage(t)
	var s storage.Session
	waitFor(t, 10*time.Second, "the authorization session", func() bool {
		var err error
		s, err = db.LatestSession(context.Background(), sandboxAppID)
		return err == nil
	})
	if !strings.Contains(s.PCLink, "auth_type=2") {
		t.Errorf("PC link lacks auth_type: %s", s.PCLink)
	}
	e.approve(t, s, travelAppID, false)
	if code := auth.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("authorize exit %d\nstderr: %s", code, auth.err.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(auth.out.String()), &got); err != nil {
		t.Fatalf("authorize --json: %v\n%s", err, auth.out.String())
	}
	if got["authorizer_appid"] != travelAppID || got["nick_name"] != "云途出行助手" || got["source"] != "push" || got["has_refresh_token"] != true {
		t.Errorf("authorize --json: %v", got)
	}
	if !strings.Contains(auth.err.String(), "is in use; assuming `wxauth serve` runs there") {
		t.Errorf("authorize did not notice serve:\n%s", auth.err.String())
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}

// TestAuthorizeRedirectToOwnListener: with no serve running, authorize listens itself; the
// browser following the approval's redirect to our callback finishes the authorization.
func TestAuthorizeRedirectToOwnListener(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	auth := startWX(t, e.db, "", "authorize", "--no-browser", "--mobile", "--biz-appid", coffeeAppID, "--category-ids", "17,18", "--timeout", "30s")
	waitFor(t, 10*time.Second, "authorize's listener", func() bool { return strings.Contains(auth.err.String(), "Listening on "+e.addr) })
	errText := auth.err.String()
	if !strings.Contains(errText, e.public+"/wechat/auth/start?session=") || !strings.Contains(errText, "bindcomponent") {
		t.Errorf("authorize did not print the launch page and the mobile link:\n%s", errText)
	}
	s := latestSession(t, e.db)
	if !strings.Contains(s.PCLink, "biz_appid="+coffeeAppID) || !strings.Contains(s.PCLink, "category_id_list=17%7C18") {
		t.Errorf("PC link lacks the options: %s", s.PCLink)
	}
	// The launch page is served on the registered domain and links to WeChat's page.
	page := httpGet(t, e.public+"/wechat/auth/start?session="+s.ID)
	if !strings.Contains(page, "componentloginpage") {
		t.Errorf("launch page:\n%s", page)
	}
	res := e.approve(t, s, coffeeAppID, true)
	result := httpGet(t, res.RedirectURL) // the browser lands on our callback
	if !strings.Contains(result, "拾光咖啡点单") {
		t.Errorf("callback page:\n%s", result)
	}
	if code := auth.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("authorize exit %d\nstderr: %s", code, auth.err.String())
	}
	out := auth.out.String()
	if !strings.Contains(out, "authorized: 拾光咖啡点单") || !strings.Contains(out, "17 帐号管理, 18 开发管理与数据分析") {
		t.Errorf("authorize output:\n%s", out)
	}
	// The listener went away with the command.
	if _, err := http.Get(e.public + "/"); err == nil {
		t.Error("authorize's listener still answers after it exited")
	}
}

func TestAuthorizeUsageAndPasteErrors(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{args: []string{"--auth-type", "-1"}, code: 2, want: "--auth-type"},
		{args: []string{"--category-ids", "1,x"}, code: 2, want: "--category-ids"},
		{args: []string{"--biz-appid", "gh_1a2b3c4d5e6f"}, code: 2, want: "--biz-appid"},
		{args: []string{"--timeout", "0s"}, code: 2, want: "--timeout"},
		{args: []string{"extra"}, code: 2, want: "unknown command"},
		{args: []string{"--code", "https://example.com/launch?session=x"}, code: 3, want: "auth_code"},
		{args: []string{"--code", "preauthcode@@@abcdefghijklmnop"}, code: 3, want: "pre_auth_code"},
		// A well-formed code the simulator never issued: WeChat's 61009, explained; only a new
		// authorization can help, so 3.
		{args: []string{"--code", "queryauthcode@@@neverissuedneverissued"}, code: 3, want: "api_query_auth: 61009"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := wx(t, e.db, "", append([]string{"authorize", "--no-browser"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.err, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.err, tt.code, tt.want)
			}
		})
	}
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameKeys reports whether m has exactly these keys.
func sameKeys(m map[string]any, keys ...string) bool {
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	return reflect.DeepEqual(got, want)
}

func assertRFC3339(t *testing.T, v any) {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Errorf("time %v is not a string", v)
		return
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("time %q is not RFC 3339", s)
	}
}

// TestAuthorizePasteOnTerminal: while authorize waits, an address pasted on the terminal
// finishes the authorization; a paste that is not one gets a note and another chance. The
// push and the redirect cannot arrive here (the event URL is dead, no browser follows).
func TestAuthorizePasteOnTerminal(t *testing.T) {
	e := newSimEnv(t)
	if err := e.sim.SetPlatformURLs(sandboxAppID, "http://"+freeAddr(t)+"/wechat/events", e.addr); err != nil {
		t.Fatal(err)
	}
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master)
	auth := startWXOn(t, e.db, slave, "authorize", "--no-browser", "--json", "--timeout", "30s")
	waitFor(t, 10*time.Second, "the paste prompt", func() bool { return strings.Contains(auth.err.String(), "or paste the address") })
	if _, err := master.WriteString(e.public + "/wechat/auth/start?session=nope\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the note on a wrong paste", func() bool { return strings.Contains(auth.err.String(), "Paste again") })
	res := e.approve(t, latestSession(t, e.db), coffeeAppID, true)
	// Terminals and chat clients break long lines; the code survives it.
	long := res.RedirectURL
	if _, err := master.WriteString(long[:40] + " " + long[40:] + "\n"); err != nil {
		t.Fatal(err)
	}
	if code := auth.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("authorize exit %d\nstderr: %s", code, auth.err.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(auth.out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, auth.out.String())
	}
	if got["authorizer_appid"] != coffeeAppID || got["source"] != "paste" {
		t.Errorf("authorize: %v", got)
	}
	if s := latestSession(t, e.db); s.State != storage.SessionDone || s.CodeSource != "paste" {
		t.Errorf("the waiting session was not the one finished: %+v", s)
	}
}
