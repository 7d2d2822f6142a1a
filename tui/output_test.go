package tui

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
)

// forgedAppID is what an unauthenticated push can put in its AppId: retitle the window, return
// the carriage and overwrite the line with a fake "renewed".
const forgedAppID = "\x1b]0;pwned\x07\r[fake] renewed"

// assertInert fails when the frame holds what outside text could use to act on the terminal:
// a window title (OSC 0), a bell, a carriage return. The console's own styling (SGR) is fine.
func assertInert(t *testing.T, frame string) {
	t.Helper()
	for _, bad := range []string{"\x1b]0;", "\x07", "\r", "\u202e"} {
		if strings.Contains(frame, bad) {
			t.Fatalf("the frame holds a raw %q:\n%q", bad, frame)
		}
	}
}

// TestEventsPaneEscapesForgedPushes: a push nobody signed reaches the listener; the rejection
// event the engine sends the console shows its AppId escaped, in the events pane and, for an
// error, on the status line.
func TestEventsPaneEscapesForgedPushes(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	events, stop := sb.Engine.Subscribe(64)
	defer stop()
	body := "<xml><AppId>" + forgedAppID + "</AppId><Encrypt>AAAA</Encrypt></xml>"
	resp, err := http.Post(sb.ListenURL+"/wechat/events?timestamp=1&nonce=2&msg_signature=3", "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ev flow.Event
	for deadline := time.After(10 * time.Second); ev.Kind != flow.EventPushRejected; {
		select {
		case ev = <-events:
		case <-deadline:
			t.Fatal("no rejection event")
		}
	}
	if ev.ComponentAppID != forgedAppID {
		t.Fatalf("the event is not the forged push's: %+v", ev)
	}
	send(m, engineEventMsg(ev))
	assertInert(t, m.View().Content)
	mustContain(t, view(m), `push rejected: push for unknown platform "\x1b]0;pwned\a\r[fake] renewed"`)

	// An error event (its text from outside: an errmsg, a rid) lands on the status line too.
	send(m, engineEventMsg(flow.Event{At: time.Now(), Kind: flow.EventError, Level: flow.LevelError, ComponentAppID: sb.Platform.ComponentAppID,
		Message: "api_authorizer_token: -1 system error (rid \x1b[2J\x1b]0;pwned\x07)\r[fake] renewed", Remedy: "retry\nlater"}))
	frame := m.View().Content
	assertInert(t, frame)
	if strings.Contains(frame, "\x1b[2J") {
		t.Fatal("a clear-screen sequence reached the frame")
	}
	mustContain(t, view(m), `(rid \x1b[2J\x1b]0;pwned\a)\r[fake] renewed — retry later`)
}

// TestListenerBindsOnceTheAddressFrees: the platform's address is busy when the console
// starts (a serve there); the console says so, tries again, and says when it bound.
func TestListenerBindsOnceTheAddressFrees(t *testing.T) {
	sb := startSandbox(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	p := flow.Platform{ComponentAppID: "wx0123456789abcdef", AppSecret: "0123456789abcdef0123456789abcdef", Token: "tok3n",
		EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", AuthDomain: "auth.example.com", ListenAddr: addr}
	if _, err := sb.Engine.AddPlatform(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	m := New(t.Context(), sb.Engine, Options{Platform: p.ComponentAppID, Listen: true, ListenRetry: 20 * time.Millisecond, TickEvery: -1})
	send(m, teaWS(120, 40))
	failed, ok := find[listenMsg](collect(t, send(m, platformsMsg{list: []flow.Platform{p}}), 5*time.Second))
	if !ok || !flow.AddrBusy(failed.err) {
		t.Fatalf("binding a busy address: %+v", failed)
	}
	retry := send(m, failed)
	mustContain(t, view(m), "not listening on "+addr, "the address is in use", "binds it once it is free")

	// Still busy: another try, another wait, no new news on the status line.
	again, _ := find[listenRetryMsg](collect(t, retry, 5*time.Second))
	failed, _ = find[listenMsg](collect(t, send(m, again), 5*time.Second))
	send(m, teaWS(120, 40)) // anything else happening meanwhile
	if retry = send(m, failed); retry == nil {
		t.Fatal("the console stopped trying")
	}
	busy.Close()
	again, _ = find[listenRetryMsg](collect(t, retry, 5*time.Second))
	bound, ok := find[listenMsg](collect(t, send(m, again), 5*time.Second))
	if !ok || bound.err != nil {
		t.Fatalf("binding the freed address: %+v", bound)
	}
	if send(m, bound) != nil {
		t.Fatal("the console keeps trying once bound")
	}
	mustContain(t, view(m), "● listening "+addr, "✓ listening on "+addr+" now: the address became free")
	resp, err := http.Get("http://" + addr + "/wechat/auth/start?session=nope")
	if err != nil {
		t.Fatalf("the console's listener does not answer: %v", err)
	}
	resp.Body.Close()
}

// TestRevokedShowsNoCountdown: a revoked account's token is refused by WeChat whatever its
// expiry says: the table and the details count nothing down.
func TestRevokedShowsNoCountdown(t *testing.T) {
	accts := fixtureAuthorizers()
	revoked := &accts[2]
	revoked.AccessToken, revoked.AccessObtainedAt, revoked.AccessExpiresAt = "authorizer_access_token_revoked", t0.Add(-10*time.Minute), t0.Add(110*time.Minute)
	m := loaded(t, 120, 40, Options{})
	send(m, snapshotMsg{componentAppID: testAppID, snap: fixtureSnapshot(accts), events: fixtureEvents()})
	for _, line := range strings.Split(view(m), "\n") {
		if strings.Contains(line, revoked.AppID) && strings.Contains(line, "1h50m") {
			t.Fatalf("the revoked row counts down: %q", line)
		}
	}
	m.table.Select(revoked.AppID)
	press(m, "enter")
	v := view(m)
	mustContain(t, v, "revoked: the token no longer works")
	if strings.Contains(v, "1h50m") {
		t.Fatalf("the details count down a revoked token:\n%s", v)
	}
}

// TestEmptyFilterSaysSo: a filter nothing matches says so and how to clear it.
func TestEmptyFilterSaysSo(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "/")
	typeText(m, "xyz")
	mustContain(t, view(m), "no account matches 'xyz' — esc clears the filter")
	press(m, "enter") // kept
	mustContain(t, view(m), "no account matches 'xyz' — esc clears the filter")
	press(m, "esc")
	mustContain(t, view(m), "wx8d5e2f7a1c3b9046")
	if strings.Contains(view(m), "no account matches") {
		t.Fatal("the note stayed after clearing the filter")
	}
}

// lineWith returns the screen line holding s, failing the test when none does.
func lineWith(t *testing.T, screen, s string) string {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no line holds %q:\n%s", s, screen)
	return ""
}

// TestValuesStayOnOneLine: a token or link the user may select by hand is never wrapped: whole
// on one line when it fits, visibly cut when it does not (the copy key takes it whole); a
// permission set's id stays beside its name.
func TestValuesStayOnOneLine(t *testing.T) {
	long := "authorizer_access_token_" // 150 characters, as WeChat's are, no part repeated
	for i := range 42 {
		long += fmt.Sprintf("%03d", i)
	}
	accts := fixtureAuthorizers()
	accts[0].AccessToken = long
	accts[0].FuncInfo = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 18, 19, 25, 30, 31}
	for _, w := range []int{80, 200} {
		m := loaded(t, w, 40, Options{})
		send(m, snapshotMsg{componentAppID: testAppID, snap: fixtureSnapshot(accts), events: fixtureEvents()})
		m.table.Select(accts[0].AppID)
		press(m, "enter", "v")
		v := view(m)
		line := lineWith(t, v, long[:40])
		if w == 200 {
			mustContain(t, line, "access token", long)
		} else {
			mustContain(t, line, "…")
			mustContain(t, v, "cut to fit the terminal: c and C copy them whole")
		}
		if strings.Contains(v, long[len(long)-20:]) && w == 80 {
			t.Fatalf("the token's end is shown on another line at %d columns:\n%s", w, v)
		}
		for _, id := range accts[0].FuncInfo {
			pair := itoa(id) + " " + flow.FuncName(id)
			lineWith(t, v, pair)
		}
		// c copies it whole.
		if got, _ := clipboardValue(collect(t, send(m, tokenMsg{label: "access token", value: long}), timeoutShort)); got != long {
			t.Fatalf("copied %q", got)
		}
	}

	// With no clipboard, the value to select by hand is one line too.
	m := loaded(t, 80, 24, Options{})
	send(m, clipProbeMsg{osc52: false})
	send(m, copiedMsg{label: "access token of wx8d5e2f7a1c3b9046", value: long})
	v := view(m)
	mustContain(t, lineWith(t, v, long[:40]), "…")
	mustContain(t, v, "widen the terminal to 151 columns to select it whole")
	send(m, teaWS(160, 24))
	mustContain(t, view(m), " "+long)
	if strings.Contains(view(m), "widen the terminal") {
		t.Fatal("asks to widen a terminal wide enough")
	}

	// The launch link, and in the full-screen QR view the mobile link, which y copies.
	m = loaded(t, 80, 24, Options{})
	press(m, "a")
	auth := fixtureAuthorization()
	send(m, startedMsg(auth))
	mustContain(t, lineWith(t, view(m), "/wechat/auth/start?session="), "…")
	mustContain(t, view(m), "cut to fit: y copies it whole")
	press(m, "m")
	mustContain(t, lineWith(t, view(m), "bindcomponent?action=bindcomponent"), "…")
	if got, _ := clipboardValue(collect(t, press(m, "y"), timeoutShort)); got != auth.Session.MobileLink {
		t.Fatalf("y in the QR view copied %q", got)
	}
}
