package cli_test

import (
	"net/http"
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

// TestServeHoldsGrantWhileStoreTakesNoWrites: the store stops taking writes while `serve`
// exchanges an authorization code (a real ENOSPC on a 1 MB tmpfs under the SQLite file, so
// root and mount are needed; elsewhere it skips and core/flow's fault-injecting store covers
// the same path). WeChat has used the code; serve holds the grant in memory, says "store
// unreachable since …" once on stderr, and keeps running; once space is freed it writes the
// grant, finishes the session and records the outage, without a restart, and the stored
// token works at WeChat.
//
// The MariaDB version (stop the server for 60 s instead of filling the disk) is this test with
// the store's URL for --db and `mariadb-admin shutdown` / a restart in place of fillDisk and
// os.Remove.
func TestServeHoldsGrantWhileStoreTakesNoWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes; skipped in -short mode")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); core/flow's TestGrantExchangedDuringOutageIsStoredWhenStoreReturns covers the path", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })

	bin := buildWXAuth(t)
	addr := freeAddr(t)
	world := compressedWorld(2, addr, func(*wxsim.Settings) {})
	sim := startSimProc(t, bin, world)
	db := filepath.Join(dir, "wxauth.db")
	addSandboxPlatform(t, db, addr, sim.url)
	serve := startProc(t, "serve", bin, nil, "--db", db, "serve", "--interval", "300ms")
	serve.waitOut(t, 10*time.Second, "serve: listening on")
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, nil)
	waitFor(t, 10*time.Second, "the first ticket", func() bool { return wx(t, db, "", "ticket", "show").code == 0 })

	appid := world.Accounts[0].AppID
	s := startSession(t, db)
	sim.control(t, http.MethodPost, "/sim/faults", wxsim.Faults{Path: wxapi.PathQueryAuth, Latency: wxsim.Duration(2 * time.Second)}, nil)
	before := sim.stats(t).Calls["api_query_auth"]
	var res wxsim.AuthorizeResult
	sim.control(t, http.MethodPost, "/sim/authorize", wxsim.AuthorizeRequest{ComponentAppID: sandboxAppID,
		PreAuthCode: s.PreAuthCode, AuthorizerAppID: appid, RedirectURI: "http://" + addr + "/wechat/auth/callback?session=" + s.ID}, &res)
	waitFor(t, 10*time.Second, "serve's api_query_auth to reach WeChat", func() bool {
		return sim.stats(t).Calls["api_query_auth"] > before
	})
	filler := fillDisk(t, dir) // while WeChat takes its time to answer
	waitFor(t, 30*time.Second, "serve to hold the grant", func() bool {
		return strings.Contains(serve.err.String(), "the grant of "+appid) && strings.Contains(serve.err.String(), "held in memory")
	})
	sim.control(t, http.MethodDelete, "/sim/faults", nil, nil)
	// Once per outage (core/flow's TestRefresherKeepsRunningAndLogsAnOutageOnce counts them: a
	// nearly full disk may take a small write now and then, which ends an outage).
	if !strings.Contains(serve.err.String(), "store unreachable since") {
		t.Errorf("serve did not say the store is unreachable:\n%s", serve.err.String())
	}
	for _, a := range authorizersOf(t, db) {
		if a.AppID == appid {
			t.Fatalf("the grant was stored with the disk full: %+v", a)
		}
	}
	// A push serve cannot commit is not answered `success`: WeChat pushes it again.
	var push struct {
		Ticket    string `json:"component_verify_ticket"`
		Delivered bool   `json:"delivered"`
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{"rotate": true}, &push)
	if push.Delivered {
		t.Error("serve answered `success` to a ticket push it could not store")
	}
	if !serve.running() {
		t.Fatalf("serve stopped during the outage: %v\n%s", serve.state, serve.err.String())
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitFor(t, 30*time.Second, "serve to store the held grant", func() bool {
		for _, a := range authorizersOf(t, db) {
			if a.AppID == appid && a.Status == storage.StatusHealthy && a.RefreshToken != "" && a.AccessToken != "" {
				return latestSession(t, db).State == storage.SessionDone
			}
		}
		return false
	})
	t.Logf("the held grant was stored %v after space was freed", time.Since(freed).Round(time.Millisecond))
	for _, a := range authorizersOf(t, db) {
		if ti := sim.checkToken(t, a.AccessToken); a.AppID == appid && !ti.Valid {
			t.Fatalf("the stored token of %s is refused at WeChat: %+v", a.AppID, ti)
		}
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, &push) // WeChat's next push
	if !push.Delivered || !strings.Contains(wxOK(t, db, "ticket", "show", "--reveal").out, push.Ticket) {
		t.Errorf("the ticket pushed again after the outage was not stored: %+v", push)
	}
	waitFor(t, 15*time.Second, "the outage in the event log", func() bool {
		return strings.Contains(wxOK(t, db, "status", "--events", "20").out, "store reachable again")
	})
	if code := serve.signal(t, syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("serve exit %d\n%s", code, serve.err.String())
	}
}
