package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/storage"
)

// TestGoldenScreens pins every screen's text at 80×24 and 120×40 (colours stripped).
// Refresh with: go test ./tui -run TestGoldenScreens -update
func TestGoldenScreens(t *testing.T) {
	screens := []struct {
		name  string
		build func(t *testing.T, w, h int) *Model
	}{
		{"setup", func(t *testing.T, w, h int) *Model {
			m := newTestModel(t, Options{})
			send(m, teaWS(w, h))
			send(m, platformsMsg{})
			return m
		}},
		{"form_error", func(t *testing.T, w, h int) *Model {
			m := newTestModel(t, Options{})
			send(m, teaWS(w, h))
			send(m, platformsMsg{})
			press(m, "2")
			typeText(m, "wx12")
			press(m, "tab")
			typeText(m, "0123456789abcdef")
			return m
		}},
		{"dashboard", func(t *testing.T, w, h int) *Model { return loaded(t, w, h, Options{}) }},
		{"dashboard_sandbox_pending", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{Sandbox: &fakeSandbox{}})
			send(m, startedMsg(fixtureAuthorization()))
			press(m, "esc")
			return m
		}},
		{"dashboard_empty", func(t *testing.T, w, h int) *Model {
			m := newTestModel(t, Options{})
			send(m, teaWS(w, h))
			send(m, platformsMsg{list: []flow.Platform{testPlatform}})
			snap := fixtureSnapshot(nil)
			snap.Ticket, snap.ComponentToken, snap.Session, snap.Side = nil, nil, nil, nil
			snap.LastPushAt = time.Time{}
			snap.State = flow.StateAwaitTicket
			send(m, snapshotMsg{componentAppID: testAppID, snap: snap})
			return m
		}},
		{"dashboard_filter", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "/")
			typeText(m, "青禾")
			return m
		}},
		{"dashboard_events", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "tab", "down", "down", "down", "down") // the 61004 error, shown whole with its remedy
			return m
		}},
		{"dashboard_help", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "?")
			return m
		}},
		{"dashboard_confirm", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "R")
			return m
		}},
		{"dashboard_hand_copy", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			send(m, clipProbeMsg{osc52: false})
			send(m, copiedMsg{label: "access token of wx8d5e2f7a1c3b9046", value: fixtureAuthorizers()[0].AccessToken})
			return m
		}},
		{"authorize_options", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{Sandbox: &fakeSandbox{}})
			press(m, "a", "right")
			return m
		}},
		{"authorize_session", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{Sandbox: &fakeSandbox{}})
			press(m, "a")
			send(m, startedMsg(fixtureAuthorization()))
			return m
		}},
		{"authorize_qr", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{Sandbox: &fakeSandbox{}})
			press(m, "a")
			send(m, startedMsg(fixtureAuthorization()))
			press(m, "m")
			return m
		}},
		{"detail", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "down", "enter")
			return m
		}},
		{"detail_revealed", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "down", "enter", "v")
			return m
		}},
		{"export", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{DataDir: "/home/dev/.local/share/wxauth"})
			press(m, "e", "right", "tab", "right")
			return m
		}},
		{"database_damaged", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			send(m, snapshotMsg{componentAppID: testAppID, err: fmt.Errorf("listing authorizers: %w", &storage.FileError{
				Path: "/home/dev/.local/share/wxauth/wxauth.db", Kind: storage.ErrCorrupt, Detail: "database disk image is malformed"})})
			return m
		}},
		{"platforms", func(t *testing.T, w, h int) *Model {
			m := loaded(t, w, h, Options{})
			press(m, "p")
			second := testPlatform
			second.ComponentAppID, second.PublicURL, second.ListenAddr = "wx0123456789abcdef", "https://auth.example.com", "127.0.0.1:9000"
			send(m, platformsMsg{list: []flow.Platform{testPlatform, second}})
			return m
		}},
	}
	for _, sc := range screens {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			name := fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				m := sc.build(t, size[0], size[1])
				got := view(m)
				checkFrame(t, got, size[0], size[1])
				requireGolden(t, name, got)
			})
		}
	}
}

// checkFrame asserts the view fills the terminal exactly: no line wider than it, no extra line.
func checkFrame(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansiWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, lw, w, l)
		}
	}
}
