package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxsim"
	"wxauth/storage"
)

// A wrong code never ends `wxauth authorize`: neither a mistyped paste nor a forged auth_code
// on the callback uses up the session; the merchant's genuine approval still completes it.

// TestAuthorizeSurvivesAMistypedPaste: the user pastes a code with a typo; WeChat refuses it
// (61009), authorize says so and keeps waiting, the session is still pending (status shows no
// used pre_auth_code, no failure), and the merchant's approval through the simulator's control
// API then arrives as the `authorized` push at authorize's own listener.
func TestAuthorizeSurvivesAMistypedPaste(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master)
	auth := startWXOn(t, e.db, slave, "authorize", "--no-browser", "--json", "--timeout", "30s")
	waitFor(t, 10*time.Second, "the paste prompt", func() bool { return strings.Contains(auth.err.String(), "or paste the address") })
	s := latestSession(t, e.db)
	if _, err := master.WriteString("queryauthcode@@@" + strings.Repeat("7", 40) + "\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the note on the refused code", func() bool { return strings.Contains(auth.err.String(), "Paste again") })
	if errText := auth.err.String(); !strings.Contains(errText, "api_query_auth: 61009") || !strings.Contains(errText, "still waits") {
		t.Errorf("authorize did not explain the refused code:\n%s", errText)
	}
	assertSessionWaiting(t, e)

	simControl(t, e, "/sim/authorize", wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID, PreAuthCode: s.PreAuthCode, AuthorizerAppID: coffeeAppID})
	if code := auth.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("authorize exit %d\nstderr: %s", code, auth.err.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(auth.out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, auth.out.String())
	}
	if got["authorizer_appid"] != coffeeAppID || got["source"] != "push" {
		t.Errorf("authorize: %v", got)
	}
	if after := latestSession(t, e.db); after.ID != s.ID || after.State != storage.SessionDone {
		t.Errorf("the waiting session was not the one finished: %+v", after)
	}
}

// TestAuthorizeSurvivesAForgedCallback: someone calls the callback with a made-up auth_code;
// the page says it did not work, authorize keeps waiting, and the merchant's redirect then
// completes the authorization.
func TestAuthorizeSurvivesAForgedCallback(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	auth := startWX(t, e.db, "", "authorize", "--no-browser", "--timeout", "30s")
	waitFor(t, 10*time.Second, "authorize's listener", func() bool { return strings.Contains(auth.err.String(), "Listening on "+e.addr) })
	s := latestSession(t, e.db)
	page := httpGet(t, e.public+"/wechat/auth/callback?session="+s.ID+"&auth_code=bogus")
	if !strings.Contains(page, "Authorization failed") || !strings.Contains(page, "61009") {
		t.Errorf("callback page for a forged code:\n%s", page)
	}
	assertSessionWaiting(t, e)
	select {
	case code := <-auth.done:
		t.Fatalf("authorize ended (exit %d) on a forged code\nstderr: %s", code, auth.err.String())
	default:
	}

	res := e.approve(t, s, coffeeAppID, true)
	if result := httpGet(t, res.RedirectURL); !strings.Contains(result, "拾光咖啡点单") {
		t.Errorf("callback page after the approval:\n%s", result)
	}
	if code := auth.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("authorize exit %d\nstderr: %s", code, auth.err.String())
	}
	if out := auth.out.String(); !strings.Contains(out, "authorized: 拾光咖啡点单") {
		t.Errorf("authorize output:\n%s", out)
	}
}

// assertSessionWaiting checks, through `wxauth status` as a user would, that the newest
// session is still pending: its pre_auth_code unused, no failure.
func assertSessionWaiting(t *testing.T, e *simEnv) {
	t.Helper()
	var st struct {
		Platforms []struct {
			State   string         `json:"state"`
			Session map[string]any `json:"session"`
		} `json:"platforms"`
	}
	wxJSON(t, e.db, &st, "status")
	if len(st.Platforms) != 1 {
		t.Fatalf("status: %+v", st)
	}
	p := st.Platforms[0]
	if p.Session["state"] != storage.SessionPending || p.Session["error"] != nil || p.Session["code_source"] != nil {
		t.Fatalf("session after the refused code: %v", p.Session)
	}
	if text := wxOK(t, e.db, "status").out; !strings.Contains(text, "pending, pre_auth_code in ") || strings.Contains(text, "failed") {
		t.Errorf("status after the refused code:\n%s", text)
	}
}

// simControl posts to the simulator's control API.
func simControl(t *testing.T, e *simEnv, path string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.simURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
}
