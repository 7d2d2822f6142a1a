package tui

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The authorize screen: options, the running session (the engine's runner stands in as a
// stubRun), approve, paste, and how the run's result ends the session.

func TestAuthorizeKeys(t *testing.T) {
	sb := &fakeSandbox{}
	m := loaded(t, 120, 40, Options{Sandbox: sb})
	press(m, "a")
	if m.screen != screenAuthorize || m.auth.started != nil {
		t.Fatal("a should open the options")
	}
	press(m, "right")
	if authTypes[m.auth.authType].value != 2 {
		t.Fatalf("auth type %d", authTypes[m.auth.authType].value)
	}
	press(m, "left")
	press(m, "tab")
	typeText(m, "wx8d5e2f7a1c3b9046")
	press(m, "tab")
	typeText(m, "17,x")
	mustContain(t, view(m), `"x" is not a permission-set id`)
	if press(m, "enter") != nil {
		t.Fatal("started with invalid permission sets")
	}
	press(m, "backspace", "backspace")
	typeText(m, " 18")
	if press(m, "enter") == nil || !m.auth.starting {
		t.Fatal("enter did not start")
	}
	send(m, authStartedMsg{err: &flow.UserError{Msg: "no component_verify_ticket has arrived yet", Remedy: "ask for one with t"}})
	mustContain(t, view(m), "no component_verify_ticket has arrived yet", "what to do: ask for one with t")

	auth := fixtureAuthorization()
	started := startedMsg(auth)
	run := started.run.(*stubRun)
	cmd := send(m, started)
	if m.auth.started == nil || len(m.auth.qr) == 0 || cmd == nil {
		t.Fatal("the session did not start")
	}
	mustContain(t, view(m), auth.LaunchURL, "no browser could be opened (no DISPLAY)", "press x to approve")

	// x approves through the sandbox.
	msgs := collect(t, press(m, "x"), timeoutShort)
	if _, ok := find[approveMsg](msgs); !ok || len(sb.approved) != 1 || sb.approved[0] != auth.Session.ID {
		t.Fatalf("approved %v", sb.approved)
	}
	send(m, approveMsg{err: errors.New("the authorization page offers no account")})
	mustContain(t, view(m), "the sandbox merchant could not approve")

	// y copies the launch link.
	if got, _ := clipboardValue(collect(t, press(m, "y"), timeoutShort)); got != auth.LaunchURL {
		t.Fatalf("copied %q", got)
	}
	// m shows the QR code alone; m or esc go back.
	press(m, "m")
	if !m.auth.qrFull {
		t.Fatal("m did not show the QR code")
	}
	mustContain(t, view(m), "scan with WeChat", "▀")
	press(m, "esc")
	if m.auth.qrFull {
		t.Fatal("esc did not leave the QR code")
	}
	// i types a code; enter submits it; esc stops typing.
	press(m, "i")
	if !m.auth.paste.Focused() {
		t.Fatal("i did not focus the paste field")
	}
	typeText(m, "queryauthcode@@@abc")
	run.pasteErr = &flow.UserError{Msg: "61010 code is expired"}
	pasted, ok := find[pasteResultMsg](collect(t, press(m, "enter"), timeoutShort))
	if !ok || !m.auth.pasteBusy || len(run.pasted) != 1 || run.pasted[0] != "queryauthcode@@@abc" {
		t.Fatalf("enter did not hand the paste to the run: %v", run.pasted)
	}
	send(m, pasted)
	mustContain(t, view(m), "the pasted code did not work: 61010 code is expired")
	press(m, "esc")
	if m.auth.paste.Focused() {
		t.Fatal("esc did not blur the paste field")
	}
	// A bracketed paste fills the field without a key.
	send(m, tea.PasteMsg{Content: "https://x/cb?auth_code=queryauthcode@@@zz&expires_in=3600"})
	if !m.auth.paste.Focused() || !strings.Contains(m.auth.paste.Value(), "queryauthcode@@@zz") {
		t.Fatal("paste did not land in the field")
	}
	press(m, "esc")
	// esc leaves the session waiting; a shows it again.
	press(m, "esc")
	if m.screen != screenDashboard || m.auth.started == nil {
		t.Fatal("esc should keep the session")
	}
	press(m, "a")
	if m.screen != screenAuthorize || m.auth.started == nil {
		t.Fatal("a should show the waiting session")
	}
	// n gives it up for new options.
	press(m, "n")
	if m.auth.started != nil || !run.stopped {
		t.Fatal("n did not end the session")
	}
}

func TestSessionDoneSelectsTheNewAuthorizer(t *testing.T) {
	m := loaded(t, 120, 40, Options{Sandbox: &fakeSandbox{}})
	press(m, "a")
	auth := fixtureAuthorization()
	started := startedMsg(auth)
	send(m, started)
	// The command waiting for the run reports its result.
	run := started.run.(*stubRun)
	run.done <- flow.RunResult{Authorizer: fixtureAuthorizers()[0], Source: flow.SourceRedirect}
	done, ok := find[runDoneMsg](collect(t, waitRunCmd(run, auth.Session.ID), timeoutShort))
	if !ok || done.id != auth.Session.ID {
		t.Fatalf("the wait reported %+v", done)
	}
	// A result from another start is ignored.
	send(m, runDoneMsg{id: "other", res: flow.RunResult{Authorizer: fixtureAuthorizers()[1], Source: flow.SourcePush}})
	if m.auth.started == nil {
		t.Fatal("a stale session ended the current one")
	}
	send(m, done)
	if m.screen != screenDashboard || m.auth.started != nil || !run.stopped {
		t.Fatal("not back on the dashboard")
	}
	if a, _ := m.table.Selected(); a.AppID != "wx8d5e2f7a1c3b9046" {
		t.Fatalf("selected %s", a.AppID)
	}
	mustContain(t, view(m), "✓ 拾光咖啡点单 (wx8d5e2f7a1c3b9046) authorized; its access token is valid 1h35m")
	// The sandbox merchant's approval answering after the push or redirect finished the run
	// leaves the outcome on the status line.
	send(m, approveMsg{})
	mustContain(t, view(m), "✓ 拾光咖啡点单 (wx8d5e2f7a1c3b9046) authorized; its access token is valid 1h35m")

	// A failed session says why.
	press(m, "a")
	send(m, startedMsg(auth))
	send(m, runDoneMsg{id: auth.Session.ID, res: flow.RunResult{Err: &flow.UserError{Msg: "the pre_auth_code expired before the merchant approved", Remedy: "start a new authorization"}}})
	mustContain(t, view(m), "the pre_auth_code expired before the merchant approved")
	if m.auth.started != nil {
		t.Fatal("the failed session is still shown as waiting")
	}
	// A run stopped (the session given up on) says nothing.
	press(m, "a")
	send(m, startedMsg(auth))
	m.setStatus(levelInfo, "waiting")
	send(m, runDoneMsg{id: auth.Session.ID, res: flow.RunResult{Err: context.Canceled}})
	if m.auth.started == nil || m.status.text != "waiting" {
		t.Fatal("a cancelled wait ended the session")
	}
}

// TestPastedCodeEndsTheRun: a paste that works ends the run, and its result (not the paste's
// answer) brings the new authorizer in.
func TestPastedCodeEndsTheRun(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	press(m, "a")
	auth := fixtureAuthorization()
	started := startedMsg(auth)
	send(m, started)
	press(m, "i")
	typeText(m, "queryauthcode@@@abc")
	pasted, ok := find[pasteResultMsg](collect(t, press(m, "enter"), timeoutShort))
	if !ok || pasted.err != nil {
		t.Fatalf("paste: %+v", pasted)
	}
	send(m, pasted)
	if m.auth.started == nil || !m.auth.pasteBusy {
		t.Fatal("the paste's answer ended the session before the run's result")
	}
	mustContain(t, view(m), "exchanging the pasted code")
	send(m, runDoneMsg{id: auth.Session.ID, res: flow.RunResult{Authorizer: fixtureAuthorizers()[0], Source: flow.SourcePaste}})
	if m.screen != screenDashboard || m.auth.started != nil || m.auth.pasteBusy {
		t.Fatal("the run's result did not finish the session")
	}
	mustContain(t, view(m), "✓ 拾光咖啡点单 (wx8d5e2f7a1c3b9046) authorized")
}

// TestBrowserOutcomeArrivesWithTheStart: with a display, the runner opens the launch page
// before it reports the start; the screen says what became of it.
func TestBrowserOutcomeArrivesWithTheStart(t *testing.T) {
	display := func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	m := loaded(t, 120, 40, Options{Getenv: display})
	press(m, "a")
	send(m, startedMsg(fixtureAuthorization()))
	mustContain(t, view(m), "opened in your browser")
	msg := startedMsg(fixtureAuthorization())
	msg.browserErr = &flow.BrowserError{Reason: "no browser program found: install xdg-utils or set $BROWSER",
		URL: msg.auth.LaunchURL, Err: &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound}}
	send(m, msg)
	mustContain(t, view(m), "no browser could be opened (no browser program found: install xdg-utils or set $BROWSER): open the link")
	if strings.Contains(view(m), "exec") {
		t.Errorf("exec internals on screen:\n%s", view(m))
	}
	// o tries again.
	send(m, browserMsg{err: nil})
	mustContain(t, view(m), "opened in your browser")
}

func TestApproveKeyOnlyInSandbox(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	send(m, startedMsg(fixtureAuthorization()))
	if press(m, "x") != nil {
		t.Fatal("x did something outside the sandbox")
	}
	if strings.Contains(view(m), "approve (sandbox)") {
		t.Fatal("the approve key is advertised outside the sandbox")
	}
	m = loaded(t, 100, 30, Options{Sandbox: &fakeSandbox{}})
	press(m, "x")
	mustContain(t, view(m), "no authorization is waiting: press a")
}
