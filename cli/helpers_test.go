package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/cli"
	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// The sandbox platform of wxsim.DefaultWorld: the simulator knows its secrets.
const (
	sandboxAppID  = "wx3f9a6c21b5d7e08c"
	sandboxSecret = "7c1e9a4b2d8f60357ab9c2e41d6f8a03"
	sandboxToken  = "wxauthSandboxToken"
	sandboxAESKey = "Q2hhbmdlTWVJblRoZVdvcmxkRmlsZVNhbmRib3gwMTI"
)

// cliResult is one wxauth invocation's outcome.
type cliResult struct {
	code     int
	out, err string
}

// wx runs wxauth on database db with stdin and args, as a separate process would: cli.Main
// opens and closes the database itself.
func wx(t testing.TB, db, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(append([]string{"--db", db}, args...), strings.NewReader(stdin), &out, &errOut)
	return cliResult{code: code, out: out.String(), err: errOut.String()}
}

// wxOK is wx that fails the test unless the exit code is 0.
func wxOK(t testing.TB, db string, args ...string) cliResult {
	t.Helper()
	r := wx(t, db, "", args...)
	if r.code != 0 {
		t.Fatalf("wxauth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

// wxJSON runs a command with --json and decodes its stdout into v.
func wxJSON(t testing.TB, db string, v any, args ...string) {
	t.Helper()
	r := wxOK(t, db, append(args, "--json")...)
	if err := json.Unmarshal([]byte(r.out), v); err != nil {
		t.Fatalf("wxauth %s --json: %v\n%s", strings.Join(args, " "), err, r.out)
	}
}

func tempDB(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "wxauth.db")
}

// freeAddr returns a loopback address nothing listens on (bound and released at once).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// simEnv is a simulator over loopback and a database holding the sandbox platform, whose
// listen address, auth domain and public URL are one free loopback address.
type simEnv struct {
	sim    *wxsim.Sim
	simURL string
	db     string
	addr   string // the platform's listen address
	public string // http://addr
}

func newSimEnv(t testing.TB) *simEnv {
	t.Helper()
	return newSimEnvWith(t, wxsim.DefaultWorld(), nil)
}

// newSimEnvWorld is newSimEnv on another world (whose first platform is the sandbox's).
func newSimEnvWorld(t testing.TB, world wxsim.World) *simEnv {
	return newSimEnvWith(t, world, nil)
}

// newSimEnvWith is newSimEnv over world, its handler wrapped by wrap (when not nil) to play
// what the simulator does not.
func newSimEnvWith(t testing.TB, world wxsim.World, wrap func(http.Handler) http.Handler) *simEnv {
	t.Helper()
	return newSimEnvOn(t, world, wrap, tempDB(t))
}

// newSimEnvOn is newSimEnvWith on database db (a path or a mysql:// URL).
func newSimEnvOn(t testing.TB, world wxsim.World, wrap func(http.Handler) http.Handler, db string) *simEnv {
	t.Helper()
	sim, err := wxsim.New(world, wxsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	e := &simEnv{sim: sim, simURL: srv.URL, db: db, addr: freeAddr(t)}
	e.public = "http://" + e.addr
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	wxOK(t, e.db, "platform", "add", "--appid", sandboxAppID, "--token", sandboxToken, "--aes-key", sandboxAESKey,
		"--domain", e.addr, "--public-url", e.public, "--listen", e.addr,
		"--api-base", srv.URL, "--login-base", srv.URL, "--mobile-base", srv.URL)
	if err := sim.SetPlatformURLs(sandboxAppID, e.public+"/wechat/events", e.addr); err != nil {
		t.Fatal(err)
	}
	return e
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background is a wxauth invocation running in a goroutine.
type background struct {
	out, err *syncBuffer
	done     chan int
}

func startWX(t testing.TB, db, stdin string, args ...string) *background {
	t.Helper()
	b := &background{out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan int, 1)}
	go func() {
		b.done <- cli.Main(append([]string{"--db", db}, args...), strings.NewReader(stdin), b.out, b.err)
	}()
	return b
}

// wait returns the exit code, failing the test after timeout.
func (b *background) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case code := <-b.done:
		b.done <- code // keep it readable for a second wait
		return code
	case <-time.After(timeout):
		t.Fatalf("still running after %s\nstdout: %s\nstderr: %s", timeout, b.out.String(), b.err.String())
		return -1
	}
}

// startServe runs `wxauth serve` until the test ends, and returns once every listener is
// bound. Stopping it sends SIGTERM to this process, which cli.Main turns into cancelling
// serve's context, as a real SIGTERM would; it is sent only while serve is still running (so
// the signal is caught), and serve tests are never parallel, so no other cli.Main sees it.
func startServe(t testing.TB, db string, args ...string) (b *background, stop func() int) {
	t.Helper()
	b = startWX(t, db, "", append([]string{"serve", "--interval", "200ms"}, args...)...)
	waitFor(t, 10*time.Second, "serve to listen", func() bool {
		select {
		case code := <-b.done:
			t.Fatalf("serve exited %d\nstdout: %s\nstderr: %s", code, b.out.String(), b.err.String())
		default:
		}
		return strings.Contains(b.out.String(), "serve: listening on http://")
	})
	stopped := false
	var code int
	stop = func() int {
		t.Helper()
		if stopped {
			return code
		}
		stopped = true
		select {
		case code = <-b.done:
			t.Errorf("serve had already exited %d\nstderr: %s", code, b.err.String())
			return code
		default:
		}
		if err := terminateSelf(); err != nil {
			t.Fatal(err)
		}
		code = b.wait(t, 15*time.Second)
		return code
	}
	t.Cleanup(func() { stop() })
	return b, stop
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// latestSession reads the newest authorization session straight from the database, as a
// merchant's browser would learn the pre_auth_code from the authorization page.
func latestSession(t testing.TB, db string) storage.Session {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	s, err := sdb.LatestSession(ctx, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startSession runs `authorize` just long enough to create a session (it times out, exit 3)
// and returns that session.
func startSession(t testing.TB, db string) storage.Session {
	t.Helper()
	r := wx(t, db, "", "authorize", "--no-browser", "--timeout", "300ms")
	if r.code != 3 {
		t.Fatalf("authorize with a short timeout: exit %d, want 3\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.err, "/wechat/auth/start?session=") || !strings.Contains(r.err, "no approval within") {
		t.Fatalf("authorize stderr lacks the launch page or the timeout remedy:\n%s", r.err)
	}
	return latestSession(t, db)
}

// checkToken asks the simulator whether tok works, over its control API.
func (e *simEnv) checkToken(t testing.TB, tok string) wxsim.TokenInfo {
	t.Helper()
	resp, err := http.Get(e.simURL + "/sim/check-token?access_token=" + url.QueryEscape(tok))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ti wxsim.TokenInfo
	if err := json.NewDecoder(resp.Body).Decode(&ti); err != nil {
		t.Fatalf("check-token: %v", err)
	}
	return ti
}

// approve plays the merchant approving session s as account appid. With redirect, the
// result carries the URL the browser would be sent to; the simulator also sends the
// authorized push to the platform's event URL in the background.
func (e *simEnv) approve(t testing.TB, s storage.Session, appid string, redirect bool) wxsim.AuthorizeResult {
	t.Helper()
	req := wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID, PreAuthCode: s.PreAuthCode, AuthorizerAppID: appid}
	if redirect {
		req.RedirectURI = e.public + "/wechat/auth/callback?session=" + s.ID
	}
	res, err := e.sim.Authorize(context.Background(), req)
	if err != nil {
		t.Fatalf("simulator approval: %v", err)
	}
	return res
}

// Accounts of wxsim.DefaultWorld.
const (
	coffeeAppID = "wx8d5e2f7a1c3b9046" // 拾光咖啡点单, mini program
	travelAppID = "wx2c7b1e9f0a4d6835" // 云途出行助手, mini program
)

// authorizeByPaste takes the env from ticket to a stored authorizer without any listener: the
// ticket copied from the simulator, a session, the merchant's approval, and the redirected URL
// pasted with --code (the push has nowhere to go).
func (e *simEnv) authorizeByPaste(t testing.TB, appid string) {
	t.Helper()
	if _, err := e.storage(t).CurrentTicket(context.Background(), sandboxAppID); err != nil {
		wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	}
	s := startSession(t, e.db)
	res := e.approve(t, s, appid, true)
	var got map[string]any
	wxJSON(t, e.db, &got, "authorize", "--no-browser", "--code", res.RedirectURL)
	if got["authorizer_appid"] != appid || got["source"] != "paste" {
		t.Fatalf("authorize --code: %v", got)
	}
}

// storage opens the env's database directly, closed when the test ends.
func (e *simEnv) storage(t testing.TB) *storage.DB {
	t.Helper()
	db := openStore(t, e.db)
	t.Cleanup(func() { db.Close() })
	return db
}

// openStore opens the database a command under test uses, to read what it stored (as
// another process would, with $WXAUTH_KEY when the test set one); the caller closes it.
func openStore(t testing.TB, path string) *storage.DB {
	t.Helper()
	var opts []storage.Option
	if v := os.Getenv(flow.KeyEnv); v != "" {
		k, err := storage.ParseKey(v)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, storage.WithKey(k))
	}
	db, err := storage.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("opening database %s: %v", path, err)
	}
	return db
}

// startWXOn is startWX with stdin being f (a terminal).
func startWXOn(t testing.TB, db string, f *os.File, args ...string) *background {
	t.Helper()
	b := &background{out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan int, 1)}
	go func() {
		b.done <- cli.Main(append([]string{"--db", db}, args...), f, b.out, b.err)
	}()
	return b
}
