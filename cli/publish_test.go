package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"wxauth/core/publish/redistest"
	"wxauth/core/wxsim"
)

func firstMiniProgram(t testing.TB) string {
	t.Helper()
	for _, a := range wxsim.DefaultWorld().Accounts {
		if a.Kind == "miniprogram" {
			return a.AppID
		}
	}
	t.Fatal("no mini program in the default world")
	return ""
}

// mustNotLeak fails when the password shows in any output.
func mustNotLeak(t *testing.T, r cliResult, secret string) {
	t.Helper()
	if strings.Contains(r.out, secret) || strings.Contains(r.err, secret) {
		t.Fatalf("the Redis password leaked:\nstdout: %s\nstderr: %s", r.out, r.err)
	}
}

// publish add (URL as argument, from $WXAUTH_REDIS_URL and from stdin), list (text and JSON),
// test and remove, on a real redis-server, with the password masked everywhere; bad input gets
// a clear error that does not quote the password either.
func TestPublishCommands(t *testing.T) {
	const pw = "Sup3r-secret-pw"
	rs := redistest.Start(t, pw)
	e := newSimEnv(t)

	r := wxOK(t, e.db, "publish", "add", rs.URL(0), "--format", "wxjava", "--prefix", "wx:open")
	mustNotLeak(t, r, pw)
	if !strings.Contains(r.err, "shows in ps") {
		t.Fatalf("no warning about the URL in argv: %s", r.err)
	}
	masked := "redis://:****@127.0.0.1:"
	if !strings.Contains(r.out, "sink 1 added: wxjava into "+masked) || !strings.Contains(r.out, "Redis answered in") {
		t.Fatalf("add: %s", r.out)
	}
	t.Setenv("WXAUTH_REDIS_URL", rs.URL(1))
	mustNotLeak(t, wxOK(t, e.db, "publish", "add", "--format", "silenceper", "--appid", firstMiniProgram(t), "--component"), pw)
	t.Setenv("WXAUTH_REDIS_URL", "")
	r = wx(t, e.db, rs.URL(2)+"\n", "publish", "add", "--url-file", "-", "--format", "wechatpy", "--component")
	if r.code != 0 || !strings.Contains(r.out, "sink 3 added: wechatpy") || !strings.Contains(r.out, "component token") {
		t.Fatalf("add from stdin: exit %d\n%s%s", r.code, r.out, r.err)
	}
	mustNotLeak(t, r, pw)

	r = wxOK(t, e.db, "publish", "list")
	mustNotLeak(t, r, pw)
	for _, want := range []string{"sink 1  wxjava", "sink 2  silenceper", "sink 3  wechatpy", masked, "waiting", "prefix wx:open",
		"no process has published to it yet"} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("list lacks %q:\n%s", want, r.out)
		}
	}
	var list struct {
		Sinks []struct {
			ID     int64    `json:"id"`
			URL    string   `json:"url"`
			State  string   `json:"state"`
			AppIDs []string `json:"appids"`
		} `json:"sinks"`
	}
	wxJSON(t, e.db, &list, "publish", "list")
	if len(list.Sinks) != 3 || !strings.HasPrefix(list.Sinks[0].URL, masked) || list.Sinks[0].State != "waiting" || len(list.Sinks[1].AppIDs) != 1 {
		t.Fatalf("list --json: %+v", list)
	}

	r = wxOK(t, e.db, "publish", "test", "1")
	mustNotLeak(t, r, pw)
	if !strings.Contains(r.out, "sink 1: "+masked) || !strings.Contains(r.out, "wrote, read back and deleted wxauth:probe:") {
		t.Fatalf("test: %s", r.out)
	}
	if n := rs.Client(0).DBSize(t.Context()).Val(); n != 0 {
		t.Fatalf("the probe left %d keys", n)
	}

	wxOK(t, e.db, "publish", "remove", "2")
	wxJSON(t, e.db, &list, "publish", "list")
	if len(list.Sinks) != 2 || list.Sinks[1].ID != 3 {
		t.Fatalf("after remove: %+v", list)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"publish", "add", rs.URL(0), "--format", "easywechat"}, "unknown format"},
		{[]string{"publish", "add", rs.URL(0), "--format", "silenceper", "--prefix", "x"}, "--prefix does not apply"},
		{[]string{"publish", "add", "http://:" + pw + "@127.0.0.1:1/0", "--format", "wxjava"}, "must start with redis://"},
		{[]string{"publish", "add", "redis://:" + pw + "@127.0.0.1:1/notadb", "--format", "wxjava"}, "not usable"},
		{[]string{"publish", "add", rs.URL(0), "--format", "wxjava", "--appid", "nope"}, "is not an appid"},
		{[]string{"publish", "test", "99"}, "no sink 99"},
		{[]string{"publish", "remove", "x"}, "is not a sink id"},
	}
	for _, b := range bad {
		r := wx(t, e.db, "", b.args...)
		if r.code == 0 || !strings.Contains(r.err, b.want) {
			t.Errorf("wxauth %s: exit %d, stderr %q; want an error with %q", strings.Join(b.args, " "), r.code, r.err, b.want)
		}
		mustNotLeak(t, r, pw)
	}

	// A Redis that is down: add still stores the sink (serve retries) and says so; test fails clearly.
	rs.Stop()
	r = wxOK(t, e.db, "publish", "add", rs.URL(5), "--format", "powerwechat")
	mustNotLeak(t, r, pw)
	if !strings.Contains(r.err, "Redis is not reachable now") {
		t.Fatalf("add with Redis down: %s", r.err)
	}
	r = wx(t, e.db, "", "publish", "test", "4")
	mustNotLeak(t, r, pw)
	if r.code == 0 || !strings.Contains(r.err, "what to do") {
		t.Fatalf("test with Redis down: exit %d %s", r.code, r.err)
	}
}

// serve publishes: after an authorization, the keys appear in Redis, and status shows the
// sink's health (ok, keys written) with the URL masked.
func TestServePublishesIntoRedis(t *testing.T) {
	const pw = "serve-pw-9"
	rs := redistest.Start(t, pw)
	e := newSimEnv(t)
	appid := firstMiniProgram(t)
	e.authorizeByPaste(t, appid)
	t.Setenv("WXAUTH_REDIS_URL", rs.URL(0))
	wxOK(t, e.db, "publish", "add", "--format", "silenceper")
	api := freeAddr(t)
	_, stop := startServe(t, e.db, "--api", api)
	c := rs.Client(0)
	tok := e.storage(t)
	a, err := tok.Authorizer(t.Context(), sandboxAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "serve to publish the authorizer token", func() bool {
		return c.Get(t.Context(), "authorizer_access_token_"+appid).Val() == a.AccessToken
	})
	waitFor(t, 30*time.Second, "the component key", func() bool {
		return c.Exists(t.Context(), "component_access_token_"+sandboxAppID).Val() == 1
	})
	waitFor(t, 30*time.Second, "status to show the sink's health", func() bool {
		r := wxOK(t, e.db, "status")
		mustNotLeak(t, r, pw)
		return strings.Contains(r.out, "Redis sinks") && strings.Contains(r.out, "silenceper  redis://:****@") &&
			strings.Contains(r.out, "  ok") && strings.Contains(r.out, "2 keys")
	})
	var st struct {
		Sinks []struct {
			URL   string `json:"url"`
			State string `json:"state"`
			Keys  int    `json:"keys"`
		} `json:"sinks"`
	}
	wxJSON(t, e.db, &st, "status")
	if len(st.Sinks) != 1 || !strings.HasPrefix(st.Sinks[0].URL, "redis://:****@127.0.0.1:") || st.Sinks[0].State != "ok" || st.Sinks[0].Keys != 2 {
		t.Fatalf("status --json sinks: %+v", st.Sinks)
	}
	// The sink's health is on the token service's /metrics, without its URL.
	waitFor(t, 30*time.Second, "the sink's health on /metrics", func() bool {
		resp, err := http.Get("http://" + api + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(body), pw) || strings.Contains(string(body), fmt.Sprintf(":%d", rs.Port)) {
			t.Fatalf("/metrics shows the Redis URL:\n%s", body)
		}
		return strings.Contains(string(body), `wxauth_publish_keys{format="silenceper",sink="1"} 2`) &&
			strings.Contains(string(body), `wxauth_publish_connected{format="silenceper",sink="1"} 1`)
	})
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}

// The console publishes too while it holds the lease (a real process in tmux), and its sinks
// screen (P) shows the sink healthy with the URL masked.
func TestConsolePublishesIntoRedis(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (CI installs it)")
	}
	const pw = "console-pw-7"
	rs := redistest.Start(t, pw)
	e := newSimEnv(t)
	appid := firstMiniProgram(t)
	e.authorizeByPaste(t, appid)
	t.Setenv("WXAUTH_REDIS_URL", rs.URL(0))
	wxOK(t, e.db, "publish", "add", "--format", "wechatpy")
	a, err := e.storage(t).Authorizer(t.Context(), sandboxAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	console := startConsole(t, buildWXAuth(t), e.db)
	c := rs.Client(0)
	waitFor(t, 30*time.Second, "the console to publish the authorizer token", func() bool {
		return c.Get(t.Context(), "wechatpy:"+appid+"_access_token").Val() == `"`+a.AccessToken+`"`
	})
	console.tmux(t, "send-keys", "-t", "console", "P")
	var screen string
	waitFor(t, 30*time.Second, "the sinks screen to show the sink healthy", func() bool {
		screen = console.capture(t)
		return strings.Contains(screen, "Redis sinks") && strings.Contains(screen, "redis://:****@127.0.0.1:") &&
			strings.Contains(screen, " ok ") && strings.Contains(screen, "2 keys")
	})
	if strings.Contains(screen, pw) {
		t.Fatalf("the Redis password is on screen:\n%s", screen)
	}
	console.tmux(t, "send-keys", "-t", "console", "Escape")
	waitFor(t, 15*time.Second, "esc to go back to the dashboard", func() bool {
		return !strings.Contains(console.capture(t), "Redis sinks")
	})
	console.quit(t)
}
