package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"wxauth/core/flow"
	"wxauth/storage"
)

// The teatest dependency registers -update (x/exp/golden); define it only when it is absent.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// goldenDir holds the views, shared with the rest of the repository's fixtures.
const goldenDir = "../testdata/golden"

// requireGolden compares got with testdata/golden/<name>.golden (rewritten with -update).
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name+".golden")
	if updating() {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("view differs from %s (go test ./tui -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// t0 is the fixed "now" of the fixtures.
var t0 = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const testAppID = "wx3f9a6c21b5d7e08c"

var testPlatform = flow.Platform{
	ComponentAppID: testAppID, AppSecret: "7c1e9a4b2d8f60357ab9c2e41d6f8a03", Token: "wxauthSandboxToken",
	EncodingAESKey: "Q2hhbmdlTWVJblRoZVdvcmxkRmlsZVNhbmRib3gwMTI", AuthDomain: "127.0.0.1:8765",
	PublicURL: "http://127.0.0.1:8765", ListenAddr: "127.0.0.1:8765", CreatedAt: t0.Add(-48 * time.Hour),
}

// fixtureAuthorizers are three accounts in different states.
func fixtureAuthorizers() []flow.Authorizer {
	return []flow.Authorizer{
		withAccountInfo(flow.Authorizer{ComponentAppID: testAppID, AppID: "wx8d5e2f7a1c3b9046", NickName: "拾光咖啡点单", UserName: "gh_1a2b3c4d5e6f",
			PrincipalName: "杭州拾光餐饮管理有限公司", Kind: "miniprogram", FuncInfo: []int{17, 18, 19, 25, 30, 31},
			Status: flow.AuthorizerHealthy, AccessToken: "authorizer_access_token_82hYtq0LmZ3vK9sP1xWc7RfN5bD4gJ6eA0uTiO2yQ8rS3lV", AccessObtainedAt: t0.Add(-25 * time.Minute),
			AccessExpiresAt: t0.Add(95 * time.Minute), RefreshToken: "refreshtoken@@@Xr4Tq9LmZ2vK7sP1xWc3RfN8bD5gJ0eA6uTiO4yQ", AuthorizedAt: t0.Add(-26 * time.Minute), UpdatedAt: t0.Add(-25 * time.Minute)},
			`{"nick_name":"拾光咖啡点单","user_name":"gh_1a2b3c4d5e6f","principal_name":"杭州拾光餐饮管理有限公司","MiniProgramInfo":{"network":{},"categories":[{"first":"餐饮","second":"咖啡"}],"visit_status":0}}`),
		{ComponentAppID: testAppID, AppID: "wx9e4c6a2f8b1d3057", NickName: "青禾书店服务号", UserName: "gh_8b0d2f4a6c8e",
			PrincipalName: "成都青禾文化传播有限公司", Kind: "officialaccount", FuncInfo: []int{1, 2, 3},
			Status: flow.AuthorizerNeedsReauth, AccessToken: "authorizer_access_token_old", AccessObtainedAt: t0.Add(-3 * time.Hour),
			AccessExpiresAt: t0.Add(-time.Hour), RefreshToken: "refreshtoken@@@stale", LastError: "61023 refresh_token is invalid",
			LastErrorAt: t0.Add(-10 * time.Minute), AuthorizedAt: t0.Add(-30 * time.Hour), UpdatedAt: t0.Add(-10 * time.Minute)},
		{ComponentAppID: testAppID, AppID: "wx2c7b1e9f0a4d6835", NickName: "云途出行助手", UserName: "gh_7c9e0a2b4d6f",
			PrincipalName: "深圳市云途科技有限公司", Kind: "miniprogram", FuncInfo: []int{17, 18},
			Status: flow.AuthorizerRevoked, LastError: "the merchant cancelled the authorization", LastErrorAt: t0.Add(-2 * time.Hour),
			AuthorizedAt: t0.Add(-72 * time.Hour), UpdatedAt: t0.Add(-2 * time.Hour)},
	}
}

// accountRow is a store holding one account's row, nothing else: a fixture passes through the
// engine to carry the account info it decodes (flow.Authorizer keeps the stored payload to itself).
type accountRow struct {
	flow.Store // nil: only Authorizer is called
	row        storage.Authorizer
}

func (s accountRow) Authorizer(context.Context, string, string) (storage.Authorizer, error) {
	return s.row, nil
}

// withAccountInfo is a as the engine returns it when the store holds infoJSON, the
// api_get_authorizer_info payload, for it.
func withAccountInfo(a flow.Authorizer, infoJSON string) flow.Authorizer {
	row := storage.Authorizer{ComponentAppID: a.ComponentAppID, AppID: a.AppID, NickName: a.NickName, UserName: a.UserName,
		PrincipalName: a.PrincipalName, Kind: a.Kind, FuncInfo: a.FuncInfo, InfoJSON: infoJSON, Status: string(a.Status),
		AccessToken: a.AccessToken, AccessObtainedAt: a.AccessObtainedAt, AccessExpiresAt: a.AccessExpiresAt,
		RefreshToken: a.RefreshToken, LastError: a.LastError, LastErrorAt: a.LastErrorAt, AuthorizedAt: a.AuthorizedAt, UpdatedAt: a.UpdatedAt}
	got, err := flow.New(flow.Config{Store: accountRow{row: row}}).Authorizer(context.Background(), a.ComponentAppID, a.AppID)
	if err != nil {
		panic(err)
	}
	if _, ok := got.Account(); !ok || !reflect.DeepEqual(got.FuncInfo, a.FuncInfo) || got.Health(t0) != a.Health(t0) {
		panic("withAccountInfo: the engine did not return the fixture")
	}
	return got
}

// fixtureSnapshot is a platform in full swing.
func fixtureSnapshot(authorizers []flow.Authorizer) flow.Snapshot {
	ticket := flow.Ticket{ComponentAppID: testAppID, Value: "ticket@@@abc", CreateTime: t0.Add(-4 * time.Minute), ReceivedAt: t0.Add(-4 * time.Minute), Source: "push"}
	tok := flow.ComponentToken{ComponentAppID: testAppID, Token: "component_access_token_x", ObtainedAt: t0.Add(-30 * time.Minute), ExpiresAt: t0.Add(90 * time.Minute)}
	sess := flow.Session{ID: "5e1f", ComponentAppID: testAppID, State: flow.SessionDone, CodeSource: flow.SourceRedirect,
		AuthorizerAppID: "wx8d5e2f7a1c3b9046", CreatedAt: t0.Add(-27 * time.Minute), FinishedAt: t0.Add(-26 * time.Minute), PreAuthExpiresAt: t0.Add(3 * time.Minute)}
	healthy := 0
	for _, a := range authorizers {
		if a.Health(t0) == flow.HealthOK {
			healthy++
		}
	}
	return flow.Snapshot{Now: t0, Platform: testPlatform, State: flow.StateAuthorized, Side: []flow.State{flow.SideNeedsReauth},
		Ticket: &ticket, LastPushAt: t0.Add(-4 * time.Minute), TicketExpiresAt: ticket.ExpiresAt(),
		ComponentToken: &tok, NextRefreshAt: t0.Add(73 * time.Minute), Session: &sess, Authorizers: authorizers, Healthy: healthy}
}

func fixtureEvents() []flow.Event {
	return []flow.Event{
		{At: t0.Add(-4 * time.Minute), Kind: flow.EventTicketReceived, Level: flow.LevelInfo, Message: "component_verify_ticket received from push, valid until 22:26"},
		{At: t0.Add(-10 * time.Minute), AuthorizerAppID: "wx9e4c6a2f8b1d3057", Kind: flow.EventNeedsReauth, Level: flow.LevelError, Code: 61023,
			Message: "wx9e4c6a2f8b1d3057 needs re-authorization: its refresh token is invalid (61023) and api_get_authorizer_list has no newer one",
			Remedy:  "ask the merchant to authorize again: `wxauth authorize --biz-appid wx9e4c6a2f8b1d3057` (or the console's authorize key)"},
		{At: t0.Add(-25 * time.Minute), Kind: flow.EventAuthorized, Level: flow.LevelInfo, Message: "拾光咖啡点单 (wx8d5e2f7a1c3b9046) authorized with 6 permission sets"},
		{At: t0.Add(-31 * time.Minute), Kind: flow.EventError, Level: flow.LevelError, Code: 61004,
			Message: "api_component_token: 61004 the calling IP is not in the third-party platform's IP whitelist (rid 6743a1b2-0c4d5e6f-7a8b9c0d)",
			Remedy:  "Add 203.0.113.7 to this platform's whitelist (开放平台 → 第三方平台 → 开发资料 → 白名单IP地址列表); edits made via 编辑 take effect after 全网发布."},
		{At: t0.Add(-30 * time.Minute), Kind: flow.EventComponentToken, Level: flow.LevelInfo, Message: "component_access_token renewed, valid 2h0m0s"},
	}
}

type fakeSandbox struct {
	mu       sync.Mutex
	approved []string
	err      error
}

func (f *fakeSandbox) Approve(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.approved = append(f.approved, id)
	return f.err
}

// newTestModel is a console with no engine behind it: tests feed it messages.
func newTestModel(t *testing.T, opts Options) *Model {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	opts.TickEvery = -1
	dark := true
	opts.Dark = &dark
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	return New(context.Background(), nil, opts)
}

// loaded is a test model showing the fixture platform at size w×h.
func loaded(t *testing.T, w, h int, opts Options) *Model {
	t.Helper()
	m := newTestModel(t, opts)
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	send(m, platformsMsg{list: []flow.Platform{testPlatform}})
	send(m, snapshotMsg{componentAppID: testAppID, snap: fixtureSnapshot(fixtureAuthorizers()), events: fixtureEvents()})
	return m
}

func send(m *Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		cmd = send(m, keyMsg(k))
	}
	return cmd
}

// keyMsg builds the key press a terminal would deliver for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+s":
		return tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// typeText sends each rune as a key press.
func typeText(m *Model, s string) {
	for _, r := range s {
		send(m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// view is the stripped screen.
func view(m *Model) string { return ansi.Strip(m.View().Content) }

// collect runs a command (and the batches and sequences it returns) and gathers the messages.
// Commands still running after timeout (ticks, waits) are abandoned.
func collect(t *testing.T, cmd tea.Cmd, timeout time.Duration) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(timeout):
		return nil
	}
	if msg == nil {
		return nil
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		var out []tea.Msg
		for i := range v.Len() {
			out = append(out, collect(t, v.Index(i).Interface().(tea.Cmd), timeout)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// find returns the first message of type T.
func find[T any](msgs []tea.Msg) (T, bool) {
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// clipboardValue is the text of an OSC 52 write among msgs, if any.
func clipboardValue(msgs []tea.Msg) (string, bool) {
	for _, m := range msgs {
		if fmt.Sprintf("%T", m) == "tea.setClipboardMsg" {
			return reflect.ValueOf(m).String(), true
		}
	}
	return "", false
}

func mustContain(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("missing %q in:\n%s", sub, s)
		}
	}
}

func teaWS(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// fixtureAuthorization is a pending session with realistic links.
func fixtureAuthorization() flow.Authorization {
	const id = "9f0c2a7d4b1e6c3a8d5f2b7e0a4c9d1f"
	const code = "preauthcode@@@Vd9Kq2LmX7pR4sT1wY6zB3nC8fH5jG0eA2uIoE9yQ"
	redirect := "http%3A%2F%2F127.0.0.1%3A8765%2Fwechat%2Fauth%2Fcallback%3Fsession%3D" + id
	s := flow.Session{ID: id, ComponentAppID: testAppID, PreAuthCode: code,
		PreAuthExpiresAt: t0.Add(30 * time.Minute), State: flow.SessionPending, CreatedAt: t0,
		PCLink: "http://127.0.0.1:40311/cgi-bin/componentloginpage?component_appid=" + testAppID + "&pre_auth_code=" + code +
			"&redirect_uri=" + redirect + "&auth_type=3",
		MobileLink: "http://127.0.0.1:40311/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid=" + testAppID +
			"&pre_auth_code=" + code + "&redirect_uri=" + redirect + "&auth_type=3#wechat_redirect"}
	return flow.Authorization{Session: s, LaunchURL: "http://127.0.0.1:8765/wechat/auth/start?session=" + id}
}

// stubRun stands in for the engine's authorization runner (*flow.Run): the test decides how
// it ends, and sees what was pasted into it and whether it was stopped.
type stubRun struct {
	done     chan flow.RunResult
	pasteErr error

	mu      sync.Mutex
	pasted  []string
	stopped bool
}

func newStubRun() *stubRun { return &stubRun{done: make(chan flow.RunResult, 1)} }

func (r *stubRun) Done() <-chan flow.RunResult { return r.done }

func (r *stubRun) Paste(_ context.Context, input string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pasted = append(r.pasted, input)
	return r.pasteErr
}

func (r *stubRun) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
}

// startedMsg is the runner's report that auth started (its browser not asked to open).
func startedMsg(auth flow.Authorization) authStartedMsg {
	return authStartedMsg{auth: auth, run: newStubRun()}
}

type time_ = time.Time

const timeoutShort = 2 * time.Second

// assertFile0600 checks an export file: owner-only, holding want.
func assertFile0600(t *testing.T, path, want string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %o", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), want) {
		t.Fatalf("%s lacks %q:\n%s", path, want, data)
	}
}
