package tui

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

// drive runs cmd against the real engine the way the program does: each command in its own
// goroutine, every resulting message fed back into the model and the commands those return
// followed, until none is left running (spinner ticks dropped). Commands still running after
// 2 s without news (the wait for an authorization's code) keep running: what they report
// later is fed in by the next drive of the same model.
func drive(t *testing.T, m *Model, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	d := driverOf(m)
	d.start(cmd)
	var all []tea.Msg
	for len(all) < 1000 {
		if d.running.Load() == 0 && len(d.msgs) == 0 {
			return all
		}
		select {
		case msg := <-d.msgs:
			if _, ok := msg.(spinner.TickMsg); ok {
				continue
			}
			all = append(all, msg)
			d.start(send(m, msg))
		case <-time.After(2 * time.Second):
			return all
		}
	}
	t.Fatalf("drive: more than %d messages", len(all))
	return all
}

// driver runs a model's commands; drivers keeps one per model, so that a command outliving a
// drive reports to the next.
type driver struct {
	msgs    chan tea.Msg
	running atomic.Int64
}

var drivers sync.Map // *Model → *driver

func driverOf(m *Model) *driver {
	d, _ := drivers.LoadOrStore(m, &driver{msgs: make(chan tea.Msg, 1024)})
	return d.(*driver)
}

// start runs cmd in a goroutine; a batch or sequence runs each of its commands.
func (d *driver) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.running.Add(1)
	go func() {
		defer d.running.Add(-1)
		msg := cmd()
		if msg == nil {
			return
		}
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
			for i := range v.Len() {
				d.start(v.Index(i).Interface().(tea.Cmd))
			}
			return
		}
		d.msgs <- msg
	}()
}

// sandboxModel is the console on a running sandbox, with its first snapshot loaded.
func sandboxModel(t *testing.T, sb *sandbox.Sandbox, opts Options) *Model {
	t.Helper()
	opts.TickEvery = -1
	opts.Sandbox = sb
	m := New(t.Context(), sb.Engine, opts)
	send(m, teaWS(120, 40))
	drive(t, m, m.loadPlatformsCmd())
	if !m.loaded || m.componentAppID != sb.Platform.ComponentAppID {
		t.Fatalf("not loaded: appid %q loaded %v (%s)", m.componentAppID, m.loaded, m.loadErr)
	}
	return m
}

// authorizeInModel runs a session through the keys: a, enter, x, then waits for the session,
// whose end the run reports to the console.
func authorizeInModel(t *testing.T, m *Model) string {
	t.Helper()
	press(m, "a")
	drive(t, m, press(m, "enter"))
	if m.auth.started == nil {
		t.Fatalf("no session: %s", m.auth.err)
	}
	id := m.auth.started.Session.ID
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	drive(t, m, press(m, "x"))
	sess, err := m.eng.WaitSession(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); m.auth.started != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the run did not report the session's end")
		}
		drive(t, m, nil)
	}
	return sess.AuthorizerAppID
}

func TestKeysAgainstTheSandbox(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	mustContain(t, view(m), "No account has authorized this platform yet")

	// t: api_start_push_ticket at the simulator.
	drive(t, m, press(m, "t"))
	mustContain(t, view(m), "WeChat will push a ticket")

	// a, enter, x: an authorization approved by the sandbox merchant.
	appid := authorizeInModel(t, m)
	if a, ok := m.table.Selected(); !ok || a.AppID != appid {
		t.Fatalf("selected %+v, want %s", a, appid)
	}
	mustContain(t, view(m), appid, "healthy", "authorized; its access token is valid")

	// c: a valid access token, to OSC 52 and the status line.
	msgs := drive(t, m, press(m, "c"))
	stored, err := sb.DB.Authorizer(t.Context(), sb.Platform.ComponentAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := clipboardValue(msgs); got == "" || got != stored.AccessToken {
		t.Fatalf("copied %q, stored %q", got, stored.AccessToken)
	}
	mustContain(t, view(m), "copied the access token of "+appid)

	// r: api_authorizer_token now; the row gets a new token.
	drive(t, m, press(m, "r"))
	mustContain(t, view(m), "access token of "+appid+" renewed")
	after, _ := sb.DB.Authorizer(t.Context(), sb.Platform.ComponentAppID, appid)
	if after.AccessToken == stored.AccessToken || after.AccessVersion == stored.AccessVersion {
		t.Fatal("r did not renew the token")
	}
	if a, _ := m.table.Selected(); a.AccessToken != after.AccessToken {
		t.Fatal("the table still shows the old token")
	}

	// R, y: a new component token.
	before, _ := sb.DB.ComponentToken(t.Context(), sb.Platform.ComponentAppID)
	press(m, "R")
	drive(t, m, press(m, "y"))
	mustContain(t, view(m), "component_access_token renewed")
	if now, _ := sb.DB.ComponentToken(t.Context(), sb.Platform.ComponentAppID); now.Version == before.Version {
		t.Fatal("R y did not renew the component token")
	}

	// enter, e: export this authorizer to a 0600 file in shell form.
	press(m, "enter", "e", "left", "tab", "right", "tab", "tab")
	path := filepath.Join(t.TempDir(), "tokens.sh")
	m.export.path.SetValue(path)
	drive(t, m, press(m, "enter"))
	assertFile0600(t, path, "export WXAUTH_"+strings.ToUpper(appid)+"_ACCESS_TOKEN='"+after.AccessToken+"'")
	// e, to a file, enter: by default beside the database, not in the current directory.
	press(m, "e", "tab", "right")
	drive(t, m, press(m, "enter"))
	assertFile0600(t, filepath.Join(filepath.Dir(sb.DB.Path()), "wxauth-tokens.env"), after.AccessToken)

	// i: a pasted code from another authorization completes it too.
	press(m, "esc")
	a := startAuthOnly(t, m)
	// The merchant approves elsewhere; the browser's address bar ends at our callback, whose
	// address the user pastes (the authorized push may race it: either way one exchange).
	res, err := sb.Sim.Authorize(t.Context(), wxsim.AuthorizeRequest{ComponentAppID: sb.Platform.ComponentAppID,
		PreAuthCode: a.Session.PreAuthCode, AuthorizerAppID: "wx5a0f3d8c2e6b7194",
		RedirectURI: sb.Platform.PublicURL + "/wechat/auth/callback?session=" + a.Session.ID})
	if err != nil {
		t.Fatal(err)
	}
	press(m, "i")
	typeText(m, res.RedirectURL)
	drive(t, m, press(m, "enter"))
	if m.screen != screenDashboard {
		t.Fatalf("paste: %s", m.auth.err)
	}
	mustContain(t, view(m), "wx5a0f3d8c2e6b7194")
}

func startAuthOnly(t *testing.T, m *Model) flow.Authorization {
	t.Helper()
	press(m, "a")
	drive(t, m, press(m, "enter"))
	if m.auth.started == nil {
		t.Fatalf("no session: %s", m.auth.err)
	}
	return *m.auth.started
}

func TestReloadsAreFolded(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	first := m.requestReload()
	if first == nil || !m.loading {
		t.Fatal("no reload started")
	}
	for range 100 {
		if cmd := send(m, engineEventMsg(flow.Event{Kind: flow.EventAuthorizerToken, ComponentAppID: m.componentAppID})); cmd != nil {
			t.Fatal("an event during a read started another read")
		}
	}
	if !m.dirty {
		t.Fatal("events during a read were dropped")
	}
	msgs := collect(t, first, 5*time.Second)
	snap, _ := find[snapshotMsg](msgs)
	if _, ok := find[reloadMsg](collect(t, send(m, snap), 5*time.Second)); !ok {
		t.Fatal("the folded events did not cause one more read")
	}
}

func TestPlatformFormAgainstTheEngine(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	press(m, "p", "n")
	values := []string{"wx0123456789abcdef", "0123456789abcdef0123456789abcdef", "tok3n",
		"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "auth.example.com", "", "127.0.0.1:0"}
	for i, v := range values {
		typeText(m, v)
		if i < len(values)-1 {
			press(m, "tab")
		}
	}
	drive(t, m, press(m, "ctrl+s"))
	if m.componentAppID != "wx0123456789abcdef" || m.screen != screenDashboard {
		t.Fatalf("appid %s screen %d: %s", m.componentAppID, m.screen, m.form.submitErr)
	}
	p, err := sb.Engine.Platform(t.Context(), "wx0123456789abcdef")
	if err != nil || p.PublicURL != "https://auth.example.com" {
		t.Fatalf("stored %+v %v", p, err)
	}
	mustContain(t, view(m), "waiting for a ticket")
	// Switching back shows the sandbox again.
	press(m, "p")
	drive(t, m, m.loadPlatformsCmd())
	for i, pl := range m.platforms {
		if pl.ComponentAppID == sb.Platform.ComponentAppID {
			m.platformCursor = i
		}
	}
	drive(t, m, press(m, "enter"))
	if m.componentAppID != sb.Platform.ComponentAppID || !m.loaded {
		t.Fatal("did not switch back")
	}
}

// L opens the release screen on the checklist; enter plays the simulated 全网发布 test
// against the sandbox's listener and shows each check item.
func TestReleaseScreenAgainstTheSandbox(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	drive(t, m, press(m, "L"))
	mustContain(t, view(m), "pre-release checklist", "消息与事件接收URL", "/wechat/messages/$APPID$", "not run yet")
	drive(t, m, press(m, "enter"))
	for deadline := time.Now().Add(20 * time.Second); m.release.running; {
		if time.Now().After(deadline) {
			t.Fatal("the release test did not finish")
		}
		drive(t, m, nil)
	}
	if m.release.report == nil || !m.release.report.Passed {
		t.Fatalf("release test: %+v (err %s)\n%s", m.release.report, m.release.err, view(m))
	}
	mustContain(t, view(m), "pass  [组件ticket正确接收]", "pass  [返回Api文本消息]", "pass  [取消授权]", "release test passed")
	press(m, "esc")
	if m.screen != screenDashboard {
		t.Fatalf("esc left screen %d", m.screen)
	}
}
