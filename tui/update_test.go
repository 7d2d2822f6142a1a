package tui

import (
	"errors"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

func isQuit(t *testing.T, cmd tea.Cmd) bool {
	t.Helper()
	for _, msg := range collect(t, cmd, timeoutShort) {
		if _, ok := msg.(tea.QuitMsg); ok {
			return true
		}
	}
	return false
}

func TestQuitKeys(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *Model)
		key   string
		quit  bool
	}{
		{"q on the dashboard", nil, "q", true},
		{"ctrl+c on the dashboard", nil, "ctrl+c", true},
		{"q while filtering types it", func(m *Model) { press(m, "/") }, "q", false},
		{"ctrl+c while filtering", func(m *Model) { press(m, "/") }, "ctrl+c", true},
		{"q in the biz_appid field types it", func(m *Model) { press(m, "a", "tab") }, "q", false},
		{"q on the detail", func(m *Model) { press(m, "enter") }, "q", true},
		{"q on a confirmation is ignored", func(m *Model) { press(m, "R") }, "q", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loaded(t, 100, 30, Options{})
			if tt.setup != nil {
				tt.setup(m)
			}
			if got := isQuit(t, press(m, tt.key)); got != tt.quit {
				t.Fatalf("quit = %v, want %v", got, tt.quit)
			}
		})
	}
}

func TestHelpKeyTogglesFullHelp(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	short := view(m)
	press(m, "?")
	if !m.help.ShowAll {
		t.Fatal("? did not open the full help")
	}
	full := view(m)
	mustContain(t, full, "push ticket", "renew comp. token", "reverse order", "platforms")
	if strings.Contains(short, "renew comp. token") {
		t.Error("the short help already lists every key")
	}
	press(m, "?")
	if m.help.ShowAll {
		t.Fatal("? did not close the full help")
	}
}

func TestTableNavigation(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	sel := func() string { a, _ := m.table.Selected(); return a.AppID }
	if sel() != "wx2c7b1e9f0a4d6835" {
		t.Fatalf("first row %s", sel())
	}
	steps := []struct{ key, want string }{
		{"down", "wx8d5e2f7a1c3b9046"},
		{"j", "wx9e4c6a2f8b1d3057"},
		{"down", "wx9e4c6a2f8b1d3057"}, // stays on the last row
		{"up", "wx8d5e2f7a1c3b9046"},
		{"k", "wx2c7b1e9f0a4d6835"},
		{"end", "wx9e4c6a2f8b1d3057"},
		{"home", "wx2c7b1e9f0a4d6835"},
		{"G", "wx9e4c6a2f8b1d3057"},
		{"g", "wx2c7b1e9f0a4d6835"},
		{"pgdown", "wx9e4c6a2f8b1d3057"},
		{"pgup", "wx2c7b1e9f0a4d6835"},
	}
	for _, s := range steps {
		press(m, s.key)
		if got := sel(); got != s.want {
			t.Fatalf("after %s: selected %s, want %s", s.key, got, s.want)
		}
	}
}

func TestSortKeys(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	order := func() string {
		var ids []string
		for _, a := range m.table.Visible() {
			ids = append(ids, a.AppID[:4]+a.AppID[len(a.AppID)-2:])
		}
		return strings.Join(ids, " ")
	}
	tests := []struct{ key, want, label string }{
		{"s", "wx2c35 wx8d46 wx9e57", "name"},   // 云途 < 拾光 < 青禾 by code point
		{"s", "wx9e57 wx2c35 wx8d46", "status"}, // needs re-auth, revoked, healthy
		{"s", "wx2c35 wx9e57 wx8d46", "token expiry"},
		{"S", "wx8d46 wx9e57 wx2c35", "token expiry"},
		{"s", "wx9e57 wx8d46 wx2c35", "appid"},
	}
	for _, tt := range tests {
		press(m, tt.key)
		if got := order(); got != tt.want {
			t.Fatalf("after %s: order %s, want %s", tt.key, got, tt.want)
		}
		if m.table.key.String() != tt.label {
			t.Fatalf("after %s: sorted by %s, want %s", tt.key, m.table.key, tt.label)
		}
		mustContain(t, view(m), "sorted by "+tt.label)
	}
}

func TestFilterKey(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "/")
	if !m.filtering {
		t.Fatal("/ did not start filtering")
	}
	typeText(m, "REVOK")
	if m.table.Len() != 1 {
		t.Fatalf("filter kept %d rows", m.table.Len())
	}
	if a, _ := m.table.Selected(); a.AppID != "wx2c7b1e9f0a4d6835" {
		t.Fatalf("selected %s", a.AppID)
	}
	press(m, "enter")
	if m.filtering || m.table.Len() != 1 {
		t.Fatal("enter should keep the filter and leave the input")
	}
	mustContain(t, view(m), "filter: revok")
	press(m, "esc")
	if m.table.Len() != 3 {
		t.Fatalf("esc kept %d rows", m.table.Len())
	}
	// Pasting into the filter works too.
	press(m, "/")
	send(m, tea.PasteMsg{Content: "拾光"})
	if m.table.Len() != 1 {
		t.Fatalf("pasted filter kept %d rows", m.table.Len())
	}
	press(m, "esc")
	if m.table.Len() != 3 || m.filtering {
		t.Fatal("esc while filtering should clear it")
	}
}

func TestFocusAndEvents(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "tab")
	if m.focus != focusEvents {
		t.Fatal("tab did not focus the events")
	}
	press(m, "down", "down", "down", "down")
	if m.evCursor != 4 {
		t.Fatalf("event cursor %d", m.evCursor)
	}
	// The selected event shows whole, remedy included.
	mustContain(t, view(m), "Add 203.0.113.7", "全网发布")
	press(m, "up")
	if m.evCursor != 3 {
		t.Fatalf("event cursor %d", m.evCursor)
	}
	press(m, "tab")
	if m.focus != focusTable {
		t.Fatal("tab did not go back to the table")
	}
}

func TestDetailKeys(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	press(m, "down", "enter")
	if m.screen != screenDetail || m.detail.appid != "wx8d5e2f7a1c3b9046" {
		t.Fatalf("enter: screen %d appid %s", m.screen, m.detail.appid)
	}
	a := fixtureAuthorizers()[0]
	v := view(m)
	mustContain(t, v, "17 帐号管理", "18 开发管理与数据分析", flow.Mask(a.AccessToken), "餐饮/咖啡")
	if strings.Contains(v, a.AccessToken) || strings.Contains(v, a.RefreshToken) {
		t.Fatal("tokens shown before reveal")
	}
	press(m, "v")
	mustContain(t, view(m), a.AccessToken, a.RefreshToken)
	press(m, "v")
	if strings.Contains(view(m), a.AccessToken) {
		t.Fatal("v did not mask again")
	}
	// C copies the refresh token: OSC 52 and the status line.
	msgs := collect(t, press(m, "C"), timeoutShort)
	if got, ok := clipboardValue(msgs); !ok || got != a.RefreshToken {
		t.Fatalf("OSC 52 got %q", got)
	}
	copied, ok := find[copiedMsg](msgs)
	if !ok {
		t.Fatal("no copiedMsg")
	}
	send(m, copied)
	mustContain(t, view(m), "copied the refresh token of wx8d5e2f7a1c3b9046")
	// c asks the engine for a valid token first (a command), r refreshes, e exports.
	if press(m, "c") == nil {
		t.Fatal("c returned no command")
	}
	if press(m, "r") == nil || !m.refreshing[a.AppID] {
		t.Fatal("r did not start a refresh")
	}
	mustContain(t, view(m), "refreshing")
	press(m, "e")
	if m.export == nil || len(m.export.items) != 1 {
		t.Fatal("e did not open the export of this authorizer")
	}
	press(m, "esc", "esc")
	if m.screen != screenDashboard {
		t.Fatal("esc did not go back")
	}
}

func TestCopyFallsBackToHandSelection(t *testing.T) {
	tests := []struct {
		name      string
		clipboard func(string) error
		osc52     bool
		want      string
		hand      bool
	}{
		{"system clipboard", func(string) error { return nil }, false, "to the system clipboard", false},
		{"both", func(string) error { return nil }, true, "(system and terminal)", false},
		{"terminal only", func(string) error { return errors.New("no xclip") }, true, "through the terminal (OSC 52, if the terminal allows it)", false},
		{"tmux with set-clipboard on", nil, true, "through the terminal (OSC 52)", false},
		{"neither", nil, false, "select it by hand", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loaded(t, 160, 30, Options{Clipboard: tt.clipboard})
			send(m, clipProbeMsg{osc52: tt.osc52, sure: tt.name == "tmux with set-clipboard on"})
			press(m, "down")
			msgs := collect(t, press(m, "C"), timeoutShort)
			c, ok := find[copiedMsg](msgs)
			if !ok {
				t.Fatal("no copiedMsg")
			}
			send(m, c)
			v := view(m)
			mustContain(t, v, tt.want)
			refresh := fixtureAuthorizers()[0].RefreshToken
			if got := strings.Contains(v, refresh); got != tt.hand {
				t.Fatalf("value on screen = %v, want %v", got, tt.hand)
			}
			if tt.hand {
				press(m, "esc")
				if strings.Contains(view(m), refresh) {
					t.Fatal("esc did not hide the value")
				}
			}
		})
	}
}

func TestRenewComponentAsksFirst(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	if press(m, "R") != nil || m.confirm == nil {
		t.Fatal("R should ask before renewing")
	}
	mustContain(t, view(m), "only 5 more minutes", "(y/n)")
	press(m, "n")
	if m.confirm != nil {
		t.Fatal("n did not cancel")
	}
	press(m, "R")
	if press(m, "y") == nil {
		t.Fatal("y returned no command")
	}
	mustContain(t, view(m), "renewing the component_access_token")
}

func TestPushTicketAndPlatformKeys(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	if press(m, "t") == nil {
		t.Fatal("t returned no command")
	}
	mustContain(t, view(m), "api_start_push_ticket")
	send(m, pushTicketMsg{text: "WeChat will push a ticket to http://127.0.0.1:8765/wechat/events now"})
	mustContain(t, view(m), "WeChat will push a ticket")
	send(m, pushTicketMsg{err: errors.New("61004 the calling IP is not whitelisted")})
	mustContain(t, view(m), "api_start_push_ticket failed: 61004")

	press(m, "p")
	if m.screen != screenPlatforms {
		t.Fatal("p did not open the platforms")
	}
	second := testPlatform
	second.ComponentAppID = "wx0123456789abcdef"
	send(m, platformsMsg{list: []flow.Platform{testPlatform, second}})
	press(m, "down", "enter")
	if m.componentAppID != second.ComponentAppID || m.screen != screenDashboard || m.loaded {
		t.Fatalf("switch: appid %s screen %d loaded %v", m.componentAppID, m.screen, m.loaded)
	}
	press(m, "p", "down", "down", "enter")
	if m.screen != screenForm {
		t.Fatal("the last row should add a platform")
	}
	press(m, "esc")
	if m.screen != screenPlatforms {
		t.Fatalf("esc from the form went to %d", m.screen)
	}
	press(m, "n")
	if m.screen != screenForm {
		t.Fatal("n should add a platform")
	}
}

func TestEngineEventsAndListener(t *testing.T) {
	m := loaded(t, 120, 40, Options{Listen: true})
	send(m, engineEventMsg(flow.Event{At: t0, Kind: flow.EventError, Level: flow.LevelError, ComponentAppID: testAppID,
		Code: 61004, Message: "api_authorizer_token: 61004 the calling IP is not whitelisted", Remedy: "Add 203.0.113.7 to this platform's whitelist"}))
	mustContain(t, view(m), "61004 the calling IP is not whitelisted — Add 203.0.113.7")
	// Another platform's events are not ours.
	send(m, engineEventMsg(flow.Event{At: t0, Kind: flow.EventError, Level: flow.LevelError, ComponentAppID: "wx0123456789abcdef", Message: "elsewhere"}))
	if strings.Contains(view(m), "elsewhere") {
		t.Fatal("showed another platform's event")
	}
	// Rejected pushes are not logged by the engine: the pane keeps them.
	send(m, engineEventMsg(flow.Event{At: t0.Add(1), Kind: flow.EventPushRejected, Level: flow.LevelWarn, ComponentAppID: testAppID, Message: "push rejected: bad msg_signature"}))
	mustContain(t, view(m), "push rejected: bad msg_signature")

	send(m, listenMsg{addr: "127.0.0.1:8765", err: errors.New("listener cannot bind 127.0.0.1:8765: address already in use")})
	v := view(m)
	mustContain(t, v, "not listening on 127.0.0.1:8765", "listener not started")
	send(m, listenMsg{addr: "127.0.0.1:8765"})
	mustContain(t, view(m), "listening 127.0.0.1:8765")
}

func TestTickAndResize(t *testing.T) {
	now := t0
	m := loaded(t, 80, 24, Options{Now: func() time_ { return now }})
	before := m.table.height
	now = now.Add(10 * 60 * 1e9)
	send(m, tickMsg(now))
	if !m.now.Equal(now) {
		t.Fatal("tick did not move the clock")
	}
	mustContain(t, view(m), "1h25m") // the access token counted down
	send(m, teaWS(120, 40))
	if m.width != 120 || m.table.height < before {
		t.Fatalf("resize: width %d rows %d", m.width, m.table.height)
	}
	checkFrame(t, view(m), 120, 40)
	send(m, teaWS(60, 12))
	checkFrame(t, view(m), 60, 12)
	mustContain(t, view(m), "ticket pushed") // the one-line pipeline
}

func TestBackgroundColour(t *testing.T) {
	m := New(t.Context(), nil, Options{Now: func() time_ { return t0 }, TickEvery: -1})
	if m.Init() == nil {
		t.Fatal("Init did nothing")
	}
	send(m, tea.BackgroundColorMsg{Color: color.White})
	if m.styles.IsDark {
		t.Fatal("a white background should give the light palette")
	}
	send(m, tea.BackgroundColorMsg{Color: color.Black})
	if !m.styles.IsDark {
		t.Fatal("a black background should give the dark palette")
	}
}
