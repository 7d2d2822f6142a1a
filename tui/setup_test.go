package tui

import (
	"strings"
	"testing"

	"wxauth/core/flow"
)

func TestSetupKeys(t *testing.T) {
	m := newTestModel(t, Options{})
	send(m, teaWS(80, 24))
	send(m, platformsMsg{})
	if m.screen != screenSetup {
		t.Fatal("no platform should show the first-run choice")
	}
	press(m, "down", "up")
	if !isQuit(t, press(m, "enter")) || !m.Result().WantSandbox {
		t.Fatal("choosing the sandbox should quit with WantSandbox")
	}
	m = newTestModel(t, Options{})
	send(m, teaWS(80, 24))
	send(m, platformsMsg{})
	press(m, "2")
	if m.screen != screenForm {
		t.Fatal("2 should open the form")
	}
	press(m, "esc")
	if m.screen != screenSetup {
		t.Fatal("esc should go back to the choice")
	}
}

func TestPlatformForm(t *testing.T) {
	m := newTestModel(t, Options{})
	send(m, teaWS(120, 40))
	send(m, platformsMsg{})
	press(m, "2")
	typeText(m, "wxZZ")
	press(m, "tab")
	mustContain(t, view(m), "✗ must be wx followed by 16 lowercase hex digits")
	// Fix it: the error moves on to the next field once visited.
	press(m, "shift+tab")
	for range 4 {
		press(m, "backspace")
	}
	typeText(m, "wx0123456789abcdef")
	press(m, "tab")
	typeText(m, "short")
	press(m, "tab")
	v := view(m)
	mustContain(t, v, "✗ must be 32 characters, got 5")
	if strings.Contains(v, "short") {
		t.Fatal("the appsecret is shown while typed")
	}
	press(m, "shift+tab")
	for range 5 {
		press(m, "backspace")
	}
	typeText(m, "0123456789abcdef0123456789abcdef")
	press(m, "tab")
	typeText(m, "tok3n")
	press(m, "tab")
	typeText(m, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	press(m, "tab")
	typeText(m, "https://auth.example.com/")
	if press(m, "ctrl+s"); m.form.submitting {
		t.Fatal("an invalid form was submitted")
	}
	if m.form.focus != 4 {
		t.Fatalf("focus %d, want the auth domain", m.form.focus)
	}
	mustContain(t, view(m), "✗ must be a bare host[:port]")
	for range len("https://auth.example.com/") {
		press(m, "backspace")
	}
	typeText(m, "auth.example.com")
	if cmd := press(m, "ctrl+s"); cmd == nil || !m.form.submitting {
		t.Fatal("a valid form was not submitted")
	}
	p := m.form.platform()
	if p.ComponentAppID != "wx0123456789abcdef" || p.AuthDomain != "auth.example.com" || p.Token != "tok3n" {
		t.Fatalf("platform %+v", p)
	}
	// The engine's answer: a field error goes next to its field; success opens the dashboard.
	send(m, platformAddedMsg{err: &flow.FieldError{Field: "public URL", Reason: "must be an http(s) URL"}})
	mustContain(t, view(m), "✗ must be an http(s) URL")
	p.PublicURL = "https://auth.example.com"
	cmd := send(m, platformAddedMsg{p: p})
	if cmd == nil || m.screen != screenDashboard || m.componentAppID != p.ComponentAppID {
		t.Fatalf("after saving: screen %d appid %s", m.screen, m.componentAppID)
	}
}
