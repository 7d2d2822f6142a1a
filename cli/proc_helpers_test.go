package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// Helpers for tests that run wxauth as real processes (crash, several serves, read-only and
// full databases, start-up time): the binary is built into the test's temporary directory.

// buildWXAuth builds the wxauth binary and returns its path.
func buildWXAuth(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	if err != nil {
		t.Fatalf("no go command to build wxauth with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "wxauth")
	cmd := exec.Command(goBin, "build", "-o", bin, "wxauth")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a wxauth process started from the built binary.
type proc struct {
	name     string
	cmd      *exec.Cmd
	out, err *syncBuffer
	done     chan struct{}
	state    *os.ProcessState
}

// startProc starts bin with args and extra environment; the process is killed when the test
// ends if it still runs.
func startProc(t testing.TB, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitOut waits until stdout contains s, failing the test after timeout or if the process exits.
func (p *proc) waitOut(t testing.TB, timeout time.Duration, s string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), s) {
		if !p.running() {
			t.Fatalf("%s exited (%v) before printing %q\nstdout: %s\nstderr: %s", p.name, p.state, s, p.out.String(), p.err.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within %v\nstdout: %s\nstderr: %s", p.name, s, timeout, p.out.String(), p.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signal sends sig and, unless it is SIGKILL, waits for a clean exit and returns its code.
func (p *proc) signal(t testing.TB, sig syscall.Signal, timeout time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s still running %v after %v\nstderr: %s", p.name, timeout, sig, p.err.String())
	}
	return p.state.ExitCode()
}

// runProc runs bin to completion and returns its exit code and output.
func runProc(t testing.TB, bin string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s %v: %v", bin, args, err)
		}
		code = ee.ExitCode()
	}
	return cliResult{code: code, out: out.String(), err: errOut.String()}
}

// simProc is `wxauth sim --world W` running as a process.
type simProc struct {
	*proc
	url string
}

// startSimProc writes world to a file and runs `wxauth sim --world FILE --addr 127.0.0.1:0`.
func startSimProc(t testing.TB, bin string, world wxsim.World) *simProc {
	t.Helper()
	data, err := json.MarshalIndent(world, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "sim", bin, nil, "sim", "--world", file, "--addr", "127.0.0.1:0")
	p.waitOut(t, 10*time.Second, "\n")
	line, _, _ := strings.Cut(p.out.String(), "\n")
	u, ok := strings.CutPrefix(line, "sim: listening on ")
	if !ok {
		t.Fatalf("sim's first line %q", line)
	}
	return &simProc{proc: p, url: strings.TrimSpace(u)}
}

// control calls the simulator's /sim/ API and decodes the JSON answer into out (if not nil).
func (s *simProc) control(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
}

func (s *simProc) stats(t testing.TB) wxsim.Stats {
	t.Helper()
	var st wxsim.Stats
	s.control(t, http.MethodGet, "/sim/stats", nil, &st)
	return st
}

func (s *simProc) checkToken(t testing.TB, tok string) wxsim.TokenInfo {
	t.Helper()
	var ti wxsim.TokenInfo
	s.control(t, http.MethodGet, "/sim/check-token?access_token="+url.QueryEscape(tok), nil, &ti)
	return ti
}

// refreshTokens asks WeChat (api_get_authorizer_list, with a component token from the
// database) for every authorizer's current refresh token.
func (s *simProc) refreshTokens(t testing.TB, db string) map[string]string {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	comp, err := sdb.ComponentToken(ctx, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	items, err := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(s.url)).AllAuthorizers(ctx, comp.Token, sandboxAppID)
	if err != nil {
		t.Fatalf("api_get_authorizer_list: %v", err)
	}
	out := map[string]string{}
	for _, it := range items {
		out[it.AuthorizerAppID] = it.RefreshToken
	}
	return out
}

// compressedWorld is the sandbox world with n accounts (the built-in four first), its
// platform's pushes sent to addr, and lifetimes set by tune.
func compressedWorld(n int, addr string, tune func(*wxsim.Settings)) wxsim.World {
	w := wxsim.DefaultWorld()
	for i := len(w.Accounts); i < n; i++ {
		w.Accounts = append(w.Accounts, wxsim.Account{
			AppID: fmt.Sprintf("wxc7a5%012x", i), UserName: fmt.Sprintf("gh_c7a5%08x", i),
			NickName: fmt.Sprintf("压测门店 %d", i), Kind: wxsim.KindMiniProgram, PrincipalName: "压测连锁有限公司",
		})
	}
	w.Accounts = w.Accounts[:n]
	w.Platforms[0].EventURL = "http://" + addr + "/wechat/events"
	w.Platforms[0].AuthDomain = addr
	tune(&w.Settings)
	return w
}

// addSandboxPlatform registers the sandbox platform in db, listening on addr, against the
// simulator at simURL.
func addSandboxPlatform(t testing.TB, db, addr, simURL string) {
	t.Helper()
	// The secret through stdin: t.Setenv is not allowed in parallel tests.
	r := wx(t, db, sandboxSecret+"\n", "platform", "add", "--appid", sandboxAppID, "--token", sandboxToken, "--aes-key", sandboxAESKey,
		"--domain", addr, "--public-url", "http://"+addr, "--listen", addr,
		"--api-base", simURL, "--login-base", simURL, "--mobile-base", simURL)
	if r.code != 0 {
		t.Fatalf("platform add: exit %d\n%s", r.code, r.err)
	}
}

// authorizeByCLI onboards appid the way a user finishes an authorization by hand: `authorize`
// creates the session, the merchant approves at the simulator (/sim/authorize, which also
// pushes `authorized` to serve), and `authorize --code URL` pastes the redirected address.
// Whichever of the push and the paste arrives first exchanges the code.
func authorizeByCLI(t testing.TB, db string, sim *simProc, addr, appid string) {
	t.Helper()
	s := startSession(t, db)
	var res wxsim.AuthorizeResult
	sim.control(t, http.MethodPost, "/sim/authorize", wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID,
		PreAuthCode: s.PreAuthCode, AuthorizerAppID: appid, RedirectURI: "http://" + addr + "/wechat/auth/callback?session=" + s.ID}, &res)
	var got map[string]any
	wxJSON(t, db, &got, "authorize", "--no-browser", "--code", res.RedirectURL)
	if got["authorizer_appid"] != appid {
		t.Fatalf("authorize --code: %v", got)
	}
}

// authorizersOf reads every authorizer straight from the database.
func authorizersOf(t testing.TB, db string) []storage.Authorizer {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	list, err := sdb.Authorizers(ctx, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// integrity runs PRAGMA integrity_check on db.
func integrity(t testing.TB, db string) string {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	v, err := sdb.IntegrityCheck(ctx)
	if err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	return v
}

// envInt reads a positive integer from the environment, def when unset.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive count", name, s)
	}
	return n
}

// scanLines counts the lines of s that contain sub.
func scanLines(s, sub string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			n++
		}
	}
	return n
}
