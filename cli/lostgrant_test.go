package cli_test

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// TestServeKilledMidExchangeLosesNoGrant: `serve` is killed with SIGKILL while api_query_auth is
// in flight (WeChat has used the code; its slow answer is lost with the process). The restarted
// serve resumes the exchange at once (the claimant died on this host), meets 61010, recovers
// the grant from api_get_authorizer_list and renews the account's token: the account is
// healthy and the session done, without the merchant authorizing again.
func TestServeKilledMidExchangeLosesNoGrant(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes; skipped in -short mode")
	}
	bin := buildWXAuth(t)
	addr := freeAddr(t)
	world := compressedWorld(2, addr, func(*wxsim.Settings) {})
	sim := startSimProc(t, bin, world)
	db := tempDB(t)
	addSandboxPlatform(t, db, addr, sim.url)
	serveArgs := []string{"--db", db, "serve", "--interval", "300ms"}
	serve := startProc(t, "serve", bin, nil, serveArgs...)
	serve.waitOut(t, 10*time.Second, "serve: listening on")
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, nil)
	waitFor(t, 10*time.Second, "the first ticket", func() bool { return wx(t, db, "", "ticket", "show").code == 0 })

	appid := world.Accounts[0].AppID
	s := startSession(t, db)
	sim.control(t, http.MethodPost, "/sim/faults", wxsim.Faults{Path: wxapi.PathQueryAuth, Latency: wxsim.Duration(time.Minute)}, nil)
	before := sim.stats(t).Calls["api_query_auth"]
	// The merchant approves; the `authorized` push reaches serve, which exchanges the code.
	var res wxsim.AuthorizeResult
	sim.control(t, http.MethodPost, "/sim/authorize", wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID,
		PreAuthCode: s.PreAuthCode, AuthorizerAppID: appid, RedirectURI: "http://" + addr + "/wechat/auth/callback?session=" + s.ID}, &res)
	waitFor(t, 10*time.Second, "serve's api_query_auth to reach WeChat", func() bool {
		return sim.stats(t).Calls["api_query_auth"] > before
	})
	serve.signal(t, syscall.SIGKILL, 10*time.Second)
	sim.control(t, http.MethodDelete, "/sim/faults", nil, nil)
	if got := latestSession(t, db); got.State != storage.SessionExchanging {
		t.Fatalf("after the kill the session is %s, want exchanging", got.State)
	}

	serve = startProc(t, "serve", bin, nil, serveArgs...)
	serve.waitOut(t, 10*time.Second, "serve: listening on")
	waitFor(t, 30*time.Second, "the restarted serve to recover the grant", func() bool {
		for _, a := range authorizersOf(t, db) {
			if a.AppID == appid && a.Status == storage.StatusHealthy && a.RefreshToken != "" && a.AccessToken != "" {
				return latestSession(t, db).State == storage.SessionDone
			}
		}
		return false
	})
	for _, a := range authorizersOf(t, db) {
		if ti := sim.checkToken(t, a.AccessToken); !ti.Valid || ti.AppID != appid {
			t.Fatalf("the recovered token of %s is refused at WeChat: %+v", a.AppID, ti)
		}
	}
	if got := latestSession(t, db); got.AuthorizerAppID != appid {
		t.Errorf("session finished with %q, want %s", got.AuthorizerAppID, appid)
	}
}
