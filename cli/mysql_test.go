package cli_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/internal/mariadbtest"
)

// maria is this package's throwaway MariaDB (TestMain stops it).
var maria mariadbtest.Lazy

// TestCommandsOnMySQL: the commands a user runs work unchanged with --db mysql://…, the
// password given in WXAUTH_DB_PASSWORD: platform add, an authorization against the simulator,
// token, status, authorizers; and no output, error or log line shows the password.
func TestCommandsOnMySQL(t *testing.T) {
	useServerKey(t)
	t.Setenv(flow.DatabasePasswordEnv, mariadbtest.Password)
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // this test's own log
	url := maria.URL(t, false)
	e := newSimEnvOn(t, wxsim.DefaultWorld(), nil, url)
	e.authorizeByPaste(t, coffeeAppID)

	var tok struct {
		AccessToken string `json:"token"`
	}
	wxJSON(t, url, &tok, "token", coffeeAppID)
	if ti := e.checkToken(t, tok.AccessToken); !ti.Valid {
		t.Fatalf("token from the MySQL store refused by WeChat: %+v", ti)
	}
	var status struct {
		Platforms []struct {
			ComponentAppID string `json:"component_appid"`
			State          string `json:"state"`
		} `json:"platforms"`
	}
	wxJSON(t, url, &status, "status")
	if len(status.Platforms) != 1 || status.Platforms[0].ComponentAppID != sandboxAppID {
		t.Fatalf("status = %+v", status)
	}
	var outputs []string
	for _, args := range [][]string{{"status"}, {"authorizers"}, {"token", "component"}, {"platform", "list"}} {
		r := wxOK(t, url, args...)
		outputs = append(outputs, r.out, r.err)
	}
	if r := wxOK(t, url, "status"); !strings.Contains(r.out, sandboxAppID) {
		t.Fatalf("status:\n%s", r.out)
	}
	// The password in the URL works too, with a warning that ps shows it; never echoed.
	withPW := strings.Replace(url, mariadbtest.User+"@", mariadbtest.User+":"+mariadbtest.Password+"@", 1)
	t.Setenv(flow.DatabasePasswordEnv, "")
	r := wxOK(t, withPW, "status")
	if !strings.Contains(r.err, "visible to every user of this host") {
		t.Errorf("no warning about the password in --db:\n%s", r.err)
	}
	outputs = append(outputs, r.out, r.err)
	// A wrong password: a clear error naming the server, not the password.
	bad := wx(t, strings.Replace(withPW, mariadbtest.Password, "not-the-pw", 1), "", "status")
	if bad.code == 0 || !strings.Contains(bad.err, "Access denied") || strings.Contains(bad.err, "not-the-pw") {
		t.Errorf("wrong password: exit %d\n%s", bad.code, bad.err)
	}
	logFile := filepath.Join(os.Getenv("XDG_DATA_HOME"), "wxauth", "wxauth.log")
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("the log of a MySQL store goes to the data directory: %v", err)
	}
	outputs = append(outputs, string(log), bad.out, bad.err)
	for _, o := range outputs {
		if strings.Contains(o, mariadbtest.Password) {
			t.Fatalf("the database password appears in output:\n%s", o)
		}
	}
	// What the commands stored is in MariaDB, read back through the store.
	sdb := openStore(t, withPW)
	defer sdb.Close()
	a, err := sdb.Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil || a.AccessToken != tok.AccessToken || a.RefreshToken == "" {
		t.Fatalf("stored authorizer = %+v %v", a, err)
	}
	if v, err := sdb.IntegrityCheck(context.Background()); v != "ok" || err != nil {
		t.Fatalf("CHECK TABLE: %q %v", v, err)
	}
}

// TestMigrateBothWays: `wxauth migrate --to` copies an SQLite database into MariaDB and back,
// counts checked; the copies serve the same tokens, and a non-empty target is refused.
func TestMigrateBothWays(t *testing.T) {
	useServerKey(t)
	t.Setenv(flow.DatabasePasswordEnv, mariadbtest.Password)
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	e.authorizeByPaste(t, travelAppID)
	url := maria.URL(t, false)
	r := wxOK(t, e.db, "migrate", "--to", url)
	if !strings.Contains(r.out, "counts checked") || !strings.Contains(r.out, "refresh_tokens") || strings.Contains(r.out+r.err, mariadbtest.Password) {
		t.Fatalf("migrate output:\n%s\n%s", r.out, r.err)
	}
	var out struct {
		Tables []flow.TableCount `json:"tables"`
	}
	back := filepath.Join(t.TempDir(), "back", "wxauth.db")
	wxJSON(t, url, &out, "migrate", "--to", back)
	rows := map[string]int64{}
	for _, c := range out.Tables {
		if c.Source != c.Target {
			t.Errorf("%s: %d → %d", c.Table, c.Source, c.Target)
		}
		rows[c.Table] = c.Target
	}
	if rows["authorizers"] != 2 || rows["platforms"] != 1 || rows["refresh_tokens"] < 2 || rows["auth_sessions"] < 2 {
		t.Fatalf("counts = %+v", out.Tables)
	}
	// The same tokens from all three, without a call to WeChat (they are fresh).
	tokenOf := func(db string) string {
		var tok struct {
			Token string `json:"token"`
		}
		wxJSON(t, db, &tok, "token", travelAppID)
		return tok.Token
	}
	if a, b, c := tokenOf(e.db), tokenOf(url), tokenOf(back); a == "" || a != b || b != c {
		t.Fatalf("tokens differ: %q %q %q", a, b, c)
	}
	for _, db := range []string{url, back} {
		h, want := refreshHistory(t, db), refreshHistory(t, e.db)
		if strings.Join(h, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: refresh-token history %v, want %v", db, h, want)
		}
	}
	// Into a database that holds rows: refused, nothing written.
	r = wx(t, e.db, "", "migrate", "--to", url)
	if r.code != 1 || !strings.Contains(r.err, "not empty") {
		t.Fatalf("migrate into a non-empty database: exit %d\n%s", r.code, r.err)
	}
}

func refreshHistory(t *testing.T, db string) []string {
	t.Helper()
	sdb := openStore(t, db)
	defer sdb.Close()
	recs, err := sdb.RefreshTokens(context.Background(), sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.AppID+"="+r.Token)
	}
	return out
}

// TestGrantHeldWhileStoreDown: MariaDB stops while api_query_auth is in flight. The grant WeChat
// answered with (a code works once) is held in memory by the authorizing process, which says
// so, and written as soon as MariaDB is back; meanwhile `status` says the store is unreachable.
func TestGrantHeldWhileStoreDown(t *testing.T) {
	useServerKey(t)
	t.Setenv(flow.DatabasePasswordEnv, mariadbtest.Password)
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // this test's own log
	srv := maria.Server(t)
	url := srv.NewDatabase(t, false)
	var halted atomic.Bool
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "api_query_auth") && halted.CompareAndSwap(false, true) {
				srv.Kill() // the database goes down while WeChat answers (SIGKILL: at once, even on a loaded machine)
			}
			h.ServeHTTP(w, r)
		})
	}
	t.Cleanup(func() { _ = srv.Restart() }) // a no-op unless the test failed half-way
	e := newSimEnvOn(t, wxsim.DefaultWorld(), wrap, url)
	wxOK(t, url, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	s := startSession(t, url)
	res := e.approve(t, s, coffeeAppID, true)
	b := startWX(t, url, "", "authorize", "--no-browser", "--code", res.RedirectURL)
	logFile := filepath.Join(os.Getenv("XDG_DATA_HOME"), "wxauth", "wxauth.log")
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		log, _ := os.ReadFile(logFile)
		if strings.Contains(string(log), "credential held in memory") && strings.Contains(string(log), coffeeAppID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the grant was not held in memory within 2 minutes\nauthorize stderr: %s\nlog:\n%s", b.err.String(), log)
		}
	}
	st := wx(t, url, "", "status")
	if st.code == 0 || !strings.Contains(st.err, "unreachable since") || strings.Contains(st.err, mariadbtest.Password) {
		t.Errorf("status while the store is down: exit %d\n%s", st.code, st.err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	code := b.wait(t, 90*time.Second)
	if code == 0 || !strings.Contains(b.err.String(), "held in memory") {
		t.Errorf("authorize: exit %d\n%s", code, b.err.String())
	}
	t.Logf("status while down:\n%s\nauthorize:\n%s", st.err, b.err.String())
	sdb := openStore(t, url)
	defer sdb.Close()
	a, err := sdb.Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil || a.RefreshToken == "" || a.Status != "healthy" {
		t.Fatalf("the held grant was not written: %+v %v", a, err)
	}
	if got, _ := sdb.Session(context.Background(), s.ID); got.State != "done" || got.AuthorizerAppID != coffeeAppID {
		t.Fatalf("session = %+v", got)
	}
	if ti := e.checkToken(t, a.AccessToken); !ti.Valid {
		t.Fatalf("held access token refused: %+v", ti)
	}
}

// useServerKey gives the commands of t (and the processes it starts) a sealing key: a server
// database refuses to open without one.
func useServerKey(t *testing.T) {
	t.Helper()
	t.Setenv(flow.KeyEnv, "d3hhdXRoIGNsaSB0ZXN0cyBzZXJ2ZXIgc3RvcmUga3k=")
}
