package tui

import (
	"errors"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/storage"
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
	send(m, platformsMsg{list: []storage.Platform{testPlatform, second}})
	press(m, "down", "enter")
	if m.appid != second.ComponentAppID || m.screen != screenDashboard || m.loaded {
		t.Fatalf("switch: appid %s screen %d loaded %v", m.appid, m.screen, m.loaded)
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

func TestExportDialogKeys(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "e")
	d := m.export
	if d == nil || len(d.items) != 3 {
		t.Fatal("e did not open the export of the shown authorizers")
	}
	press(m, "right")
	if d.format != 1 || d.path.Value() != "wxauth-tokens.json" {
		t.Fatalf("format %d path %s", d.format, d.path.Value())
	}
	press(m, "left", "left")
	if d.format != 2 || d.path.Value() != "wxauth-tokens.sh" {
		t.Fatalf("format %d path %s", d.format, d.path.Value())
	}
	press(m, "tab", "right", "tab", "space", "tab")
	if !d.toFile || !d.withRefresh || d.field != 3 || !d.path.Focused() {
		t.Fatalf("toFile %v refresh %v field %d", d.toFile, d.withRefresh, d.field)
	}
	press(m, "esc")
	if m.export != nil {
		t.Fatal("esc did not close the dialog")
	}
	// To the clipboard: formatted by core/export; only authorizers with a token.
	press(m, "e", "enter")
	msgs := collect(t, nil, timeoutShort)
	_ = msgs
	if m.export != nil {
		t.Fatal("enter did not close the dialog")
	}
}

func TestExportToClipboardAndFile(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "e")
	msgs := collect(t, press(m, "enter"), timeoutShort)
	got, ok := clipboardValue(msgs)
	if !ok {
		t.Fatal("no clipboard write")
	}
	a := fixtureAuthorizers()
	mustContain(t, got, "WXAUTH_WX8D5E2F7A1C3B9046_ACCESS_TOKEN="+a[0].AccessToken, "WXAUTH_WX9E4C6A2F8B1D3057_ACCESS_TOKEN=")
	if strings.Contains(got, "REFRESH_TOKEN") || strings.Contains(got, "WX2C7B1E9F0A4D6835") {
		t.Fatalf("exported refresh tokens or the revoked account without token:\n%s", got)
	}

	dir := t.TempDir()
	press(m, "e", "right", "tab", "right", "tab", "right", "tab")
	m.export.path.SetValue(dir + "/out.json")
	msgs = collect(t, press(m, "enter"), timeoutShort)
	done, ok := find[exportDoneMsg](msgs)
	if !ok || done.err != nil {
		t.Fatalf("export: %+v", done)
	}
	send(m, done)
	mustContain(t, view(m), "exported 2 access tokens with refresh tokens (json) to a file only you can read (0600)")
	assertFile0600(t, dir+"/out.json", a[0].RefreshToken)
}

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
	if cmd == nil || m.screen != screenDashboard || m.appid != p.ComponentAppID {
		t.Fatalf("after saving: screen %d appid %s", m.screen, m.appid)
	}
}

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
	cmd := send(m, authStartedMsg{auth: auth})
	if m.auth.started == nil || len(m.auth.qr) == 0 || cmd == nil {
		t.Fatal("the session did not start")
	}
	mustContain(t, view(m), auth.LaunchURL, "not opened: no graphical display", "press x to approve")

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
	if press(m, "enter") == nil || !m.auth.pasteBusy {
		t.Fatal("enter did not submit the paste")
	}
	send(m, pasteResultMsg{err: &flow.UserError{Msg: "61010 code is expired"}})
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
	if m.auth.started != nil {
		t.Fatal("n did not end the session")
	}
}

func TestSessionDoneSelectsTheNewAuthorizer(t *testing.T) {
	m := loaded(t, 120, 40, Options{Sandbox: &fakeSandbox{}})
	press(m, "a")
	auth := fixtureAuthorization()
	send(m, authStartedMsg{auth: auth})
	// A session from another start is ignored.
	send(m, sessionDoneMsg{id: "other", sess: storage.Session{State: storage.SessionDone}})
	if m.auth.started == nil {
		t.Fatal("a stale session ended the current one")
	}
	send(m, sessionDoneMsg{id: auth.Session.ID, sess: storage.Session{ID: auth.Session.ID, State: storage.SessionDone,
		AuthorizerAppID: "wx8d5e2f7a1c3b9046", CodeSource: flow.SourceRedirect}})
	if m.screen != screenDashboard || m.auth.started != nil {
		t.Fatal("not back on the dashboard")
	}
	if a, _ := m.table.Selected(); a.AppID != "wx8d5e2f7a1c3b9046" {
		t.Fatalf("selected %s", a.AppID)
	}
	send(m, authorizerLoadedMsg{a: fixtureAuthorizers()[0]})
	mustContain(t, view(m), "✓ 拾光咖啡点单 (wx8d5e2f7a1c3b9046) authorized; its access token is valid 1h35m")

	// A failed session says why.
	press(m, "a")
	send(m, authStartedMsg{auth: auth})
	send(m, sessionDoneMsg{id: auth.Session.ID, err: &flow.UserError{Msg: "the pre_auth_code expired before the merchant approved", Remedy: "start a new authorization"}})
	mustContain(t, view(m), "the pre_auth_code expired before the merchant approved")
	if m.auth.started != nil {
		t.Fatal("the failed session is still shown as waiting")
	}
}

func TestApproveKeyOnlyInSandbox(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	send(m, authStartedMsg{auth: fixtureAuthorization()})
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
	if m.st.IsDark {
		t.Fatal("a white background should give the light palette")
	}
	send(m, tea.BackgroundColorMsg{Color: color.Black})
	if !m.st.IsDark {
		t.Fatal("a black background should give the dark palette")
	}
}
