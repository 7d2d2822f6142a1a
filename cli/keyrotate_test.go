package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// fastTokens is the compressed day with authorizer and component tokens living 12 s, so the
// refresher writes several times during a rotation test.
func fastTokens(s *wxsim.Settings) {
	compressedDay(s)
	s.ComponentTokenTTL, s.AuthorizerTokenTTL = wxsim.Duration(12*time.Second), wxsim.Duration(12*time.Second)
	s.ComponentTokenOverlap, s.AuthorizerTokenOverlap = wxsim.Duration(5*time.Second), wxsim.Duration(5*time.Second)
}

// readerLoop runs `wxauth token` as a separate process with key in its environment until stop
// closes, and records each outcome.
type readerLoop struct {
	mu       sync.Mutex
	ok, fail int
	bad      []string // outcomes that are neither a token nor the wrong-key refusal
	done     chan struct{}
}

func startReader(bin, db, appid string, key storage.Key, stop <-chan struct{}) *readerLoop {
	r := &readerLoop{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			cmd := exec.Command(bin, "--db", db, "token", appid)
			cmd.Env = append(os.Environ(), "WXAUTH_KEY="+key.Encode())
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			tok := strings.TrimSpace(out.String())
			r.mu.Lock()
			switch {
			case err == nil && tok != "" && !strings.HasPrefix(tok, "wxs1:"):
				r.ok++
			case err != nil && strings.Contains(errOut.String(), "sealed under key"):
				r.fail++
			default:
				r.bad = append(r.bad, "exit "+errString(err)+": "+tok+" "+errOut.String())
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// count is how many tokens were read.
func (r *readerLoop) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok
}

func errString(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}

// keyedStore opens db with key, closed when the test ends.
func keyedStore(t testing.TB, db string, key storage.Key) *storage.DB {
	t.Helper()
	sdb, err := storage.Open(context.Background(), db, storage.WithKey(key))
	if err != nil {
		t.Fatalf("opening %s with %v: %v", db, key, err)
	}
	t.Cleanup(func() { sdb.Close() })
	return sdb
}

// TestRotateKeyUnderLoad: `wxauth key rotate` (keys in the environment) while a serve sealed
// under the old key refreshes tokens every few seconds and two other processes read tokens in
// a loop, one with the old key and one with the new. The rotation commits in one go: every
// read gets a plaintext token or the wrong-key refusal, never a sealed value or another error;
// afterwards no value is left under the old key or in plaintext, the stale serve writes nothing
// the others cannot read and exits 1 naming both key ids, and a serve restarted with the new key keeps every account healthy
// with WeChat's refresh token. No key is in any process's argv, and no secret in any output or
// the log.
func TestRotateKeyUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes; skipped in -short mode")
	}
	t.Parallel()
	ctx := context.Background()
	bin := buildWXAuth(t)
	addr := freeAddr(t)
	world := compressedWorld(4, addr, fastTokens)
	sim := startSimProc(t, bin, world)
	db := tempDB(t)
	addSandboxPlatform(t, db, addr, sim.url)
	var pushed struct {
		Ticket string `json:"component_verify_ticket"`
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, &pushed)
	wxOK(t, db, "ticket", "set", pushed.Ticket)
	for _, a := range world.Accounts {
		authorizeByCLI(t, db, sim, addr, a.AppID)
	}
	oldKey, newKey := mustGenerate(t), mustGenerate(t)

	// serve seals the plaintext database with the old key when it opens it.
	oldEnv := []string{"WXAUTH_KEY=" + oldKey.Encode()}
	stale := startProc(t, "serve (old key)", bin, oldEnv, "--db", db, "serve", "--interval", "500ms")
	stale.waitOut(t, 10*time.Second, "serve: listening on")
	assertNoKeyInArgv(t, stale, oldKey)
	began := time.Now()
	waitFor(t, 30*time.Second, "a refresh under the old key", func() bool {
		for _, a := range authorizersKeyed(t, db, oldKey) {
			if a.AccessObtainedAt.After(began) {
				return true
			}
		}
		return false
	})

	stop := make(chan struct{})
	oldReader := startReader(bin, db, coffeeAppID, oldKey, stop)
	newReader := startReader(bin, db, coffeeAppID, newKey, stop)
	waitFor(t, 60*time.Second, "tokens read with the old key before the rotation", func() bool { return oldReader.count() >= 3 })
	r := runProc(t, bin, []string{"WXAUTH_KEY=" + oldKey.Encode(), "WXAUTH_NEW_KEY=" + newKey.Encode()}, "--db", db, "key", "rotate")
	rotated := time.Now()
	if r.code != 0 || !strings.Contains(r.out, "under key "+newKey.ID()) {
		t.Fatalf("key rotate: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	waitFor(t, 60*time.Second, "tokens read with the new key after the rotation", func() bool { return newReader.count() >= 3 })
	close(stop)
	<-oldReader.done
	<-newReader.done
	for name, rd := range map[string]*readerLoop{"old-key reader": oldReader, "new-key reader": newReader} {
		if len(rd.bad) > 0 {
			t.Errorf("%s: %d reads neither a token nor the wrong-key refusal, e.g. %s", name, len(rd.bad), rd.bad[0])
		}
		t.Logf("%s: %d tokens, %d refused", name, rd.ok, rd.fail)
	}

	// The stale serve can no longer read or write a secret: it stops, saying why.
	waitFor(t, 30*time.Second, "the serve under the old key to stop", func() bool { return !stale.running() })
	wantWhy := "sealed under key " + newKey.ID() + ", not under the key given (" + oldKey.ID() + ")"
	if code := stale.state.ExitCode(); code != 1 || !strings.Contains(stale.err.String(), wantWhy) {
		t.Errorf("serve (old key) exit %d, want 1 naming the keys:\n%s", code, stale.err.String())
	}
	assertKeyStatusClean(t, bin, db, newKey)
	fresh := startProc(t, "serve (new key)", bin, []string{"WXAUTH_KEY=" + newKey.Encode()}, "--db", db, "serve", "--interval", "500ms")
	fresh.waitOut(t, 10*time.Second, "serve: listening on")
	assertNoKeyInArgv(t, fresh, newKey)
	waitFor(t, 60*time.Second, "every authorizer refreshed under the new key", func() bool {
		for _, a := range authorizersKeyed(t, db, newKey) {
			if !a.AccessObtainedAt.After(rotated) {
				return false
			}
		}
		return true
	})
	if code := fresh.signal(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("serve (new key) exit %d\n%s", code, fresh.err.String())
	}

	sdb := keyedStore(t, db, newKey)
	comp, err := sdb.ComponentToken(ctx, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	items, err := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(sim.url)).AllAuthorizers(ctx, comp.Token, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[string]string{}
	for _, it := range items {
		theirs[it.AuthorizerAppID] = it.RefreshToken
	}
	as, err := sdb.Authorizers(ctx, sandboxAppID)
	if err != nil || len(as) != len(world.Accounts) {
		t.Fatalf("authorizers: %d %v", len(as), err)
	}
	for _, a := range as {
		if a.Status != storage.StatusHealthy || a.RefreshToken != theirs[a.AppID] {
			t.Errorf("%s ends %s (%s); refresh token matches WeChat's: %v", a.AppID, a.Status, a.LastError, a.RefreshToken == theirs[a.AppID])
		}
		if ti := sim.checkToken(t, a.AccessToken); !ti.Valid {
			t.Errorf("%s's token is refused by WeChat: %+v", a.AppID, ti)
		}
	}
	if v, err := sdb.IntegrityCheck(ctx); err != nil || v != "ok" {
		t.Errorf("integrity_check: %s %v", v, err)
	}
	secrets := storedSecrets(t, db, newKey)
	views := dumpDatabase(t, db)
	for _, p := range []*proc{stale, fresh} {
		views[p.name+" output"] = []byte(p.out.String() + p.err.String())
	}
	if log, err := os.ReadFile(filepath.Join(filepath.Dir(db), "wxauth.log")); err == nil {
		views["wxauth.log"] = log
	}
	assertSecretsHidden(t, secrets, views)
	if !strings.Contains(string(views["wxauth.log"]), wantWhy) {
		t.Errorf("the stale serve's log does not name the rotated key:\n%s", views["wxauth.log"])
	}
}

func mustGenerate(t testing.TB) storage.Key {
	t.Helper()
	k, err := storage.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func authorizersKeyed(t testing.TB, db string, key storage.Key) []storage.Authorizer {
	t.Helper()
	sdb, err := storage.Open(context.Background(), db, storage.WithKey(key))
	if err != nil {
		t.Fatalf("opening %s with %v: %v", db, key, err)
	}
	defer sdb.Close()
	as, err := sdb.Authorizers(context.Background(), sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// assertNoKeyInArgv reads the process's command line as ps shows it (Linux).
func assertNoKeyInArgv(t testing.TB, p *proc, key storage.Key) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	argv, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(argv), key.Encode()) {
		t.Errorf("%s has its key in argv", p.name)
	}
}

// assertKeyStatusClean: `wxauth key status` says every secret is sealed under key, none in
// plaintext or under another key.
func assertKeyStatusClean(t testing.TB, bin, db string, key storage.Key) {
	t.Helper()
	r := runProc(t, bin, []string{"WXAUTH_KEY=" + key.Encode()}, "--db", db, "key", "status", "--json")
	var st struct {
		Sealed  bool   `json:"sealed"`
		KeyID   string `json:"key_id"`
		Columns []struct {
			Table    string `json:"table"`
			Column   string `json:"column"`
			Sealed   int    `json:"sealed"`
			Plain    int    `json:"plain"`
			OtherKey int    `json:"other_key"`
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || r.code != 0 || !st.Sealed || st.KeyID != key.ID() {
		t.Fatalf("key status: exit %d %v\n%s%s", r.code, err, r.out, r.err)
	}
	total := 0
	for _, c := range st.Columns {
		if c.Plain != 0 || c.OtherKey != 0 {
			t.Errorf("%s.%s: %d plaintext, %d under another key", c.Table, c.Column, c.Plain, c.OtherKey)
		}
		total += c.Sealed
	}
	if total == 0 {
		t.Error("key status counts no sealed value")
	}
}
