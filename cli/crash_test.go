package cli_test

import (
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxsim"
	"wxauth/storage"
)

// crashSettings compress WeChat's lifetimes so that a refresh cycle takes seconds: 20 s
// component tokens, 6 s authorizer tokens, a ticket push every 5 s.
func crashSettings(s *wxsim.Settings) {
	s.ComponentTokenTTL = wxsim.Duration(20 * time.Second)
	s.ComponentTokenOverlap = wxsim.Duration(8 * time.Second)
	s.AuthorizerTokenTTL = wxsim.Duration(6 * time.Second)
	s.AuthorizerTokenOverlap = wxsim.Duration(3 * time.Second)
	s.PushInterval = wxsim.Duration(5 * time.Second)
}

// TestServeSurvivesSIGKILL runs the real binaries (`wxauth sim --world`, `wxauth serve`) and
// kills serve with SIGKILL at random moments of its refresh cycles, restarting it each time:
// half of the kills land right after serve reported a renewal (other renewals of the same
// wave are in flight, some API answers are slowed down), half at a uniformly random moment.
// After each kill the database passes PRAGMA integrity_check, `wxauth token` still works
// while no serve runs, and the restarted serve refreshes every authorizer (tokens valid at the
// simulator, refresh tokens kept). At the end every refresh token equals WeChat's.
//
// WXAUTH_CRASH=N sets the number of kills (default 3; the issue asks for 50).
func TestServeSurvivesSIGKILL(t *testing.T) {
	kills := envInt(t, "WXAUTH_CRASH", 3)
	if testing.Short() && os.Getenv("WXAUTH_CRASH") == "" {
		t.Skip("runs processes; skipped in -short mode")
	}
	t.Parallel() // it mostly waits; the serve tests that signal this process are sequential
	bin := buildWXAuth(t)
	addr := freeAddr(t)
	world := compressedWorld(6, addr, crashSettings)
	sim := startSimProc(t, bin, world)
	db := tempDB(t)
	addSandboxPlatform(t, db, addr, sim.url)
	serveArgs := []string{"--db", db, "serve", "--interval", "300ms"}
	serve := startProc(t, "serve", bin, nil, serveArgs...)
	serve.waitOut(t, 10*time.Second, "serve: listening on")
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, nil)
	waitFor(t, 10*time.Second, "the first ticket", func() bool { return wx(t, db, "", "ticket", "show").code == 0 })
	var appids []string
	for _, a := range world.Accounts {
		authorizeByCLI(t, db, sim, addr, a.AppID)
		appids = append(appids, a.AppID)
	}
	// Slow half of the answers down so that kills find requests and writes in flight, and fail
	// a few as WeChat does.
	sim.control(t, http.MethodPost, "/sim/faults", wxsim.Faults{Latency: wxsim.Duration(150 * time.Millisecond), LatencyRate: 0.5, ErrorRate: 0.05}, nil)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("crash: %d kills of serve, %d authorizers, 20 s component and 6 s authorizer tokens, seed %d", kills, len(appids), seed)
	began := time.Now()
	var midWave int
	var worstRecovery, worstToken time.Duration
	for i := 0; i < kills; i++ {
		if i%2 == 0 {
			// Right after a renewal was reported: the rest of the wave is still in flight.
			n := scanLines(serve.err.String(), "renewed")
			waitFor(t, 30*time.Second, "a renewal", func() bool { return scanLines(serve.err.String(), "renewed") > n })
			time.Sleep(time.Duration(rng.Int64N(int64(250 * time.Millisecond))))
			midWave++
		} else {
			time.Sleep(time.Duration(rng.Int64N(int64(6 * time.Second)))) // anywhere in a 6 s token's cycle
		}
		if !serve.running() {
			t.Fatalf("serve exited on its own: %v\nstderr: %s", serve.state, serve.err.String())
		}
		serve.signal(t, syscall.SIGKILL, 10*time.Second)

		if v := integrity(t, db); v != "ok" {
			t.Fatalf("kill %d: integrity_check: %s", i+1, v)
		}
		// `wxauth token` while no serve runs: it hands out a stored token, or renews it, taking
		// over the lease the killed serve left (a dead process of this host) after 5 s of grace
		// for the dead serve's requests in flight, instead of its 60 s TTL.
		appid := appids[rng.IntN(len(appids))]
		start := time.Now()
		r := runProc(t, bin, nil, "--db", db, "token", appid)
		worstToken = max(worstToken, time.Since(start))
		if r.code != 0 {
			t.Fatalf("kill %d: token %s with serve dead: exit %d: %s", i+1, appid, r.code, r.err)
		}
		if ti := sim.checkToken(t, strings.TrimSpace(r.out)); !ti.Valid || ti.AppID != appid {
			t.Fatalf("kill %d: token %s with serve dead is refused: %+v", i+1, appid, ti)
		}

		restart := time.Now()
		serve = startProc(t, "serve", bin, nil, serveArgs...)
		serve.waitOut(t, 10*time.Second, "serve: listening on")
		waitFor(t, 30*time.Second, "the restarted serve to take the lease over (well before its 60 s TTL)", func() bool {
			return leasePID(t, db) == serve.cmd.Process.Pid
		})
		waitFor(t, 40*time.Second, "the restarted serve to refresh every authorizer", func() bool {
			for _, a := range authorizersOf(t, db) {
				if !a.AccessObtainedAt.After(restart) {
					return false
				}
			}
			return true
		})
		worstRecovery = max(worstRecovery, time.Since(restart))
		for _, a := range authorizersOf(t, db) {
			if a.RefreshToken == "" || a.Status != storage.StatusHealthy {
				t.Fatalf("kill %d: %s: refresh token %q, status %s (%s)", i+1, a.AppID, a.RefreshToken, a.Status, a.LastError)
			}
			if ti := sim.checkToken(t, a.AccessToken); !ti.Valid || ti.AppID != a.AppID {
				t.Fatalf("kill %d: %s's refreshed token is refused: %+v", i+1, a.AppID, ti)
			}
		}
	}
	sim.control(t, http.MethodDelete, "/sim/faults", nil, nil)
	if code := serve.signal(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("serve exit %d after SIGTERM\nstderr: %s", code, serve.err.String())
	}
	if v := integrity(t, db); v != "ok" {
		t.Fatalf("integrity_check at the end: %s", v)
	}
	theirs := sim.refreshTokens(t, db)
	for _, a := range authorizersOf(t, db) {
		if a.RefreshToken == "" || a.RefreshToken != theirs[a.AppID] {
			t.Errorf("%s: our refresh token differs from WeChat's", a.AppID)
		}
	}
	st := sim.stats(t)
	elapsed := time.Since(began)
	t.Logf("crash figures: %d SIGKILLs (%d right after a reported renewal) in %v; integrity_check ok after every one; "+
		"restart → every authorizer refreshed in ≤ %v; `wxauth token` with serve dead ≤ %v",
		kills, midWave, elapsed.Round(time.Second), worstRecovery.Round(time.Millisecond), worstToken.Round(time.Millisecond))
	t.Logf("  simulator: %d component tokens (≈ %.0f cycles of 20 s in the run), %d authorizer tokens, errors %v, faults %v",
		st.ComponentTokensMinted, elapsed.Seconds()/20, st.AuthorizerTokensMinted, st.Errors, st.FaultsByKind)
}
