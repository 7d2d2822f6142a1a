package cli_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/internal/mariadbtest"
	"wxauth/storage"
)

// outageDay is the several-hosts day with authorizer tokens living 20 s: every account is
// refreshed every quarter minute, so an outage of ten seconds spans refresh passes with tokens
// due, and one of a minute outlives every token.
func outageDay(s *wxsim.Settings) {
	hostsDay(s)
	s.AuthorizerTokenTTL, s.AuthorizerTokenOverlap = wxsim.Duration(20*time.Second), wxsim.Duration(5*time.Second)
}

// TestServeRidesOutMariaDBOutage (issue 14, "MariaDB stopped during refresh passes and during
// an authorization"): a `serve` on MariaDB with short token lifetimes; MariaDB is killed while
// WeChat answers api_query_auth for a merchant who just approved (every answer delayed 2 s, so
// refreshes are in flight too) and stays down WXAUTH_OUTAGE (default 10s; the proof is
// 60s). serve keeps running and `status` says "unreachable since"; once MariaDB is back the
// grant is stored and its session done, every authorizer is healthy with a token WeChat accepts
// and WeChat's own refresh token (none lost). The catch-up time is logged; with WXAUTH_OUTAGE
// set it must be within 10 s of the restart.
func TestServeRidesOutMariaDBOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes and stops MariaDB; skipped in -short mode")
	}
	outage := 10 * time.Second
	gated := os.Getenv("WXAUTH_OUTAGE") != ""
	if gated {
		d, err := time.ParseDuration(os.Getenv("WXAUTH_OUTAGE"))
		if err != nil || d <= 0 {
			t.Fatalf("WXAUTH_OUTAGE=%q: want a duration such as 60s", os.Getenv("WXAUTH_OUTAGE"))
		}
		outage = d
	}
	srv := maria.Server(t)
	useServerKey(t)
	t.Setenv(flow.DatabasePasswordEnv, mariadbtest.Password)
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // serve's own log
	bin := buildWXAuth(t)
	url := srv.NewDatabase(t, false)
	withPW := strings.Replace(url, mariadbtest.User+"@", mariadbtest.User+":"+mariadbtest.Password+"@", 1)
	addr := freeAddr(t)
	world := compressedWorld(5, addr, outageDay)
	sim := startSimProc(t, bin, world)
	addSandboxPlatform(t, withPW, addr, sim.url)
	var pushed struct {
		Ticket string `json:"component_verify_ticket"`
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, &pushed)
	wxOK(t, url, "ticket", "set", pushed.Ticket)
	for _, a := range world.Accounts[:4] {
		authorizeByCLI(t, withPW, sim, addr, a.AppID)
	}
	serve := startProc(t, "serve", bin, nil, "--db", url, "serve", "--interval", "1s", "--listen", addr)
	serve.waitOut(t, 20*time.Second, "serve: listening on http://"+addr)
	// A refresh pass or two under serve before the outage.
	started := time.Now()
	waitFor(t, 90*time.Second, "serve to refresh an authorizer", func() bool {
		return len(eventTimes(t, withPW, string(flow.EventAuthorizerToken), started)) > 0
	})

	// The fifth merchant approves; serve exchanges the code (the push), WeChat takes 2 s to
	// answer every call, and MariaDB dies meanwhile.
	appid := world.Accounts[4].AppID
	s := startSession(t, withPW)
	sim.control(t, http.MethodPost, "/sim/faults", wxsim.Faults{Latency: wxsim.Duration(2 * time.Second)}, nil)
	before := sim.stats(t).Calls["api_query_auth"]
	var res wxsim.AuthorizeResult
	sim.control(t, http.MethodPost, "/sim/authorize", wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID,
		PreAuthCode: s.PreAuthCode, AuthorizerAppID: appid, RedirectURI: "http://" + addr + "/wechat/auth/callback?session=" + s.ID}, &res)
	waitFor(t, 30*time.Second, "serve's api_query_auth to reach WeChat", func() bool {
		return sim.stats(t).Calls["api_query_auth"] > before
	})
	srv.Kill()
	down := time.Now()
	t.Cleanup(func() { _ = srv.Restart() }) // a no-op unless the test failed half-way
	waitFor(t, 60*time.Second, "serve to hold the grant", func() bool {
		e := serve.err.String()
		return strings.Contains(e, "the grant of "+appid) && strings.Contains(e, "held in memory")
	})
	sim.control(t, http.MethodDelete, "/sim/faults", nil, nil)
	st := wx(t, url, "", "status")
	if st.code == 0 || !strings.Contains(st.err, "unreachable since") {
		t.Errorf("status while MariaDB is down: exit %d\n%s", st.code, st.err)
	}
	callsDown := sim.stats(t).Calls["api_authorizer_token"]
	for time.Since(down) < outage {
		if !serve.running() {
			t.Fatalf("serve stopped while MariaDB was down: %v\n%s", serve.state, serve.err.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(serve.err.String(), "store unreachable since") {
		t.Errorf("serve did not say the store is unreachable:\n%s", serve.err.String())
	}
	callsDuring := sim.stats(t).Calls["api_authorizer_token"] - callsDown
	back := time.Now() // the restart begins: mariadbd takes a few seconds to answer
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	answering := time.Since(back)

	// Caught up: the grant stored, its session done, every authorizer's token accepted by
	// WeChat, and WeChat's refresh token the one stored.
	var grantAt time.Duration
	waitFor(t, 120*time.Second, "serve to catch up after the restart", func() bool {
		sdb := openStore(t, withPW)
		defer sdb.Close()
		if grantAt == 0 {
			a, err := sdb.Authorizer(context.Background(), sandboxAppID, appid)
			got, serr := sdb.Session(context.Background(), s.ID)
			if err != nil || serr != nil || a.RefreshToken == "" || got.State != storage.SessionDone {
				return false
			}
			grantAt = time.Since(back)
		}
		return caughtUp(t, sdb, sim, len(world.Accounts))
	})
	caught := time.Since(back)
	t.Logf("MariaDB down %v (api_authorizer_token calls meanwhile: %d); from the restart: answering after %v, the held grant stored by %v, every authorizer caught up by %v",
		back.Sub(down).Round(100*time.Millisecond), callsDuring, answering.Round(100*time.Millisecond), grantAt.Round(100*time.Millisecond), caught.Round(100*time.Millisecond))
	if gated && caught > 10*time.Second {
		t.Errorf("caught up %v after the restart, want within 10 s", caught.Round(100*time.Millisecond))
	}
	logFile := filepath.Join(os.Getenv("XDG_DATA_HOME"), "wxauth", "wxauth.log")
	if log, _ := os.ReadFile(logFile); strings.Contains(string(log), mariadbtest.Password) {
		t.Error("the database password is in the log")
	}
	if code := serve.signal(t, syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("serve exit %d\n%s", code, serve.err.String())
	}
	if v := integrity(t, withPW); v != "ok" {
		t.Errorf("CHECK TABLE: %s", v)
	}
}

// caughtUp reports whether all n authorizers are healthy with a token WeChat accepts and the
// refresh token WeChat has for them (asked with the stored component token).
func caughtUp(t testing.TB, sdb *storage.DB, sim *simProc, n int) bool {
	t.Helper()
	ctx := context.Background()
	list, err := sdb.Authorizers(ctx, sandboxAppID)
	if err != nil || len(list) != n {
		return false
	}
	comp, err := sdb.ComponentToken(ctx, sandboxAppID)
	if err != nil {
		return false
	}
	items, err := wxapi.NewClient(&http.Client{Timeout: 10 * time.Second}, wxapi.WithBaseURL(sim.url)).AllAuthorizers(ctx, comp.Token, sandboxAppID)
	if err != nil {
		return false
	}
	theirs := map[string]string{}
	for _, it := range items {
		theirs[it.AuthorizerAppID] = it.RefreshToken
	}
	for _, a := range list {
		if a.Status != storage.StatusHealthy || a.RefreshToken == "" || a.RefreshToken != theirs[a.AppID] {
			return false
		}
		if !sim.checkToken(t, a.AccessToken).Valid {
			return false
		}
	}
	return true
}
