package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// compression is how much faster than WeChat the multi-process world runs: 120× turns the
// 2 h tokens into 60 s, the 12 h ticket into 6 min, the 10 min push into 5 s, and a day into
// 12 minutes.
const compression = 120

func compressedDay(s *wxsim.Settings) {
	c := func(d time.Duration) wxsim.Duration { return wxsim.Duration(max(d/compression, time.Second)) }
	s.ComponentTokenTTL = c(wxsim.DefaultComponentTokenTTL)
	s.AuthorizerTokenTTL = c(wxsim.DefaultAuthorizerTokenTTL)
	s.ComponentTokenOverlap = c(wxsim.DefaultComponentTokenOverlap)
	s.AuthorizerTokenOverlap = c(wxsim.DefaultAuthorizerTokenOverlap)
	s.RefreshTokenGrace = c(wxsim.DefaultRefreshTokenGrace)
	s.TicketTTL = c(wxsim.DefaultTicketTTL)
	s.PushInterval = c(wxsim.DefaultPushInterval)
	// The codes keep room for a human-paced CLI authorization during the setup.
	s.PreAuthCodeTTL = c(wxsim.DefaultPreAuthCodeTTL * 4)
	s.AuthCodeTTL = c(wxsim.DefaultAuthCodeTTL * 2)
}

// TestThreeServesAndAConsole runs three `wxauth serve` processes and the console (`wxauth`,
// under tmux when it is installed) on one database against `wxauth sim`, in a world whose
// lifetimes are 120× shorter than WeChat's, for a simulated day (WXAUTH_MULTI=1: 12 real
// minutes) or, by default, an hour and a half (45 s). Half-way the serve holding the refresh
// lease gets SIGTERM and another process must take over. It asserts from the simulator and
// the audit log: exactly one component token per refresh cycle (never two mints closer than
// the refresh schedule allows, none missed), no 40001 answer (no process used a token another
// one superseded), every authorizer healthy at the end with WeChat's refresh token.
func TestThreeServesAndAConsole(t *testing.T) {
	simulated := 90 * time.Minute
	if os.Getenv("WXAUTH_MULTI") == "1" {
		simulated = 24 * time.Hour
	} else if testing.Short() {
		t.Skip("runs processes; skipped in -short mode")
	}
	t.Parallel() // it mostly waits; the serve tests that signal this process are sequential
	wall := simulated / compression
	bin := buildWXAuth(t)
	addr := freeAddr(t)
	world := compressedWorld(8, addr, compressedDay)
	sim := startSimProc(t, bin, world)
	db := tempDB(t)
	addSandboxPlatform(t, db, addr, sim.url)
	// Setup with no serve running: the ticket copied from the simulator, then the accounts
	// authorized through the CLI (the first component token is minted here).
	var pushed struct {
		Ticket string `json:"component_verify_ticket"`
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{}, &pushed)
	wxOK(t, db, "ticket", "set", pushed.Ticket)
	for _, a := range world.Accounts {
		authorizeByCLI(t, db, sim, addr, a.AppID)
	}

	// B starts first and takes the lease; A serves the platform's public address (the pushes);
	// C listens elsewhere. All three run the refresher.
	serveArgs := func(extra ...string) []string {
		return append([]string{"--db", db, "serve", "--interval", "1s"}, extra...)
	}
	b := startProc(t, "serve B", bin, nil, serveArgs("--listen", freeAddr(t))...)
	b.waitOut(t, 10*time.Second, "serve: listening on")
	waitFor(t, 10*time.Second, "serve B to hold the lease", func() bool { return leasePID(t, db) == b.cmd.Process.Pid })
	a := startProc(t, "serve A", bin, nil, serveArgs()...)
	a.waitOut(t, 10*time.Second, "serve: listening on http://"+addr)
	c := startProc(t, "serve C", bin, nil, serveArgs("--listen", freeAddr(t))...)
	c.waitOut(t, 10*time.Second, "serve: listening on")
	console := startConsole(t, bin, db)

	began := time.Now()
	before := sim.stats(t)
	time.Sleep(wall / 2)
	holder := leasePID(t, db)
	if holder != b.cmd.Process.Pid {
		t.Logf("the lease moved from B to pid %d before the stop", holder)
	}
	var leader *proc
	for _, p := range []*proc{a, b, c} {
		if p.cmd.Process.Pid == holder {
			leader = p
		}
	}
	stoppedAt := time.Now()
	if leader != nil {
		if code := leader.signal(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Errorf("%s exit %d after SIGTERM\nstderr: %s", leader.name, code, leader.err.String())
		}
		waitFor(t, 10*time.Second, "another process to take the lease", func() bool {
			pid := leasePID(t, db)
			return pid != 0 && pid != holder
		})
	} else {
		t.Logf("the lease holder (pid %d) is the console; no serve stopped", holder)
	}
	newHolder := leasePID(t, db)
	takeover := time.Since(stoppedAt)
	successor := "the console"
	for _, p := range []*proc{a, b, c} {
		if p.cmd.Process.Pid == newHolder {
			successor = p.name
		}
	}
	time.Sleep(time.Until(began.Add(wall)))
	// Every authorizer keeps being refreshed after the stop, by the new holder: at the latest
	// one token lifetime after it.
	waitFor(t, world.Settings.AuthorizerTokenTTL.D()+15*time.Second, "every authorizer refreshed since the leader stopped", func() bool {
		for _, au := range authorizersOf(t, db) {
			if !au.AccessObtainedAt.After(stoppedAt) {
				return false
			}
		}
		return true
	})
	elapsed := time.Since(began)
	after := sim.stats(t)

	for _, au := range authorizersOf(t, db) {
		if au.Status != storage.StatusHealthy || au.RefreshToken == "" {
			t.Errorf("%s ends %s (%s), refresh token %q", au.AppID, au.Status, au.LastError, flow.Mask(au.RefreshToken))
		}
		if ti := sim.checkToken(t, au.AccessToken); !ti.Valid {
			t.Errorf("%s's token is refused at the end: %+v", au.AppID, ti)
		}
	}
	theirs := sim.refreshTokens(t, db)
	for _, au := range authorizersOf(t, db) {
		if au.RefreshToken != theirs[au.AppID] {
			t.Errorf("%s: our refresh token differs from WeChat's", au.AppID)
		}
	}
	if n := after.Errors["40001"]; n != 0 {
		t.Errorf("%d answers 40001: a process used a component token another one had superseded", n)
	}

	// One component token per cycle: the mints recorded in the audit log are the simulator's
	// mints, and consecutive ones are at least the renewal point apart (RenewAt renews at most
	// 1/5 + 1/10 of the lifetime early, so 0.7 × 60 s, less a refresher interval of slack).
	ttl := world.Settings.ComponentTokenTTL.D()
	mints := eventTimes(t, db, "component_token_refreshed", began)
	minted := after.ComponentTokensMinted - before.ComponentTokensMinted
	if int64(len(mints)) != minted {
		t.Errorf("the simulator minted %d component tokens during the run, the audit log records %d", minted, len(mints))
	}
	minGap, maxGap := gaps(mints)
	if len(mints) > 1 && minGap < ttl*7/10-2*time.Second {
		t.Errorf("two component tokens minted %v apart (lifetime %v): more than one per cycle", minGap, ttl)
	}
	cycles := elapsed.Seconds() / ttl.Seconds()
	if float64(minted) > cycles/0.7+1 {
		t.Errorf("%d component tokens in %.1f lifetimes of %v", minted, cycles, ttl)
	}
	if maxGap > ttl {
		t.Errorf("component token renewed %v after the previous one (lifetime %v): it lapsed", maxGap, ttl)
	}
	authMinted := after.AuthorizerTokensMinted - before.AuthorizerTokensMinted
	authNeeded := float64(len(world.Accounts)) * elapsed.Seconds() / world.Settings.AuthorizerTokenTTL.D().Seconds()

	consoleNote := "no console (tmux not installed)"
	if console != nil {
		screen := console.capture(t)
		if !strings.Contains(screen, sandboxAppID) {
			t.Errorf("the console does not show the platform:\n%s", screen)
		}
		console.quit(t)
		consoleNote = "console ran under tmux and showed the platform"
	}
	for _, p := range []*proc{a, b, c} {
		if p.running() {
			if code := p.signal(t, syscall.SIGTERM, 15*time.Second); code != 0 {
				t.Errorf("%s exit %d\nstderr: %s", p.name, code, p.err.String())
			}
		}
	}
	if v := integrity(t, db); v != "ok" {
		t.Errorf("integrity_check: %s", v)
	}
	t.Logf("multi-process figures: %v simulated (%v real, ×%d); 3 serves + %s; lease holder pid %d stopped half-way, %s (pid %d) took over within %v",
		simulated, elapsed.Round(time.Second), compression, consoleNote, holder, successor, newHolder, takeover.Round(time.Millisecond))
	t.Logf("  component tokens %d over %.1f lifetimes of %v (gaps %v…%v); authorizer tokens %d (%.0f lifetimes' worth); 40001: %d; errors %v",
		minted, cycles, ttl, minGap.Round(time.Millisecond), maxGap.Round(time.Millisecond), authMinted, authNeeded, after.Errors["40001"], after.Errors)
}

// leasePID is the pid in the refresh lease's holder (host:pid:random), 0 when free or foreign.
func leasePID(t testing.TB, db string) int {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	holder, until, err := sdb.LeaseHolder(ctx, "refresh/"+sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(holder, ":")
	if holder == "" || len(parts) < 3 || time.Now().After(until) {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// eventTimes lists when events of kind were logged since since, oldest first.
func eventTimes(t testing.TB, db, kind string, since time.Time) []time.Time {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	evs, err := sdb.Events(ctx, sandboxAppID, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, e := range evs {
		if e.Kind == kind && !e.At.Before(since) {
			out = append(out, e.At)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func gaps(ts []time.Time) (lo, hi time.Duration) {
	for i := 1; i < len(ts); i++ {
		g := ts[i].Sub(ts[i-1])
		if i == 1 || g < lo {
			lo = g
		}
		hi = max(hi, g)
	}
	return lo, hi
}

// tmuxConsole is the console running in a detached tmux session on its own server socket.
type tmuxConsole struct {
	socket string
}

// startConsole opens `wxauth --db DB` (the console) in tmux, or returns nil (with a log line)
// when tmux is not installed.
func startConsole(t testing.TB, bin, db string) *tmuxConsole {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Log("tmux is not installed: the console part is skipped (CI installs tmux)")
		return nil
	}
	c := &tmuxConsole{socket: fmt.Sprintf("wxauth-multi-%d", os.Getpid())}
	c.tmux(t, "new-session", "-d", "-s", "console", "-x", "160", "-y", "45",
		fmt.Sprintf("env TERM=xterm-256color '%s' --db '%s'; sleep 30", bin, db))
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", c.socket, "-f", "/dev/null", "kill-server").Run() })
	waitFor(t, 15*time.Second, "the console to draw", func() bool { return strings.Contains(c.capture(t), sandboxAppID) })
	return c
}

func (c *tmuxConsole) tmux(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", c.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (c *tmuxConsole) capture(t testing.TB) string {
	t.Helper()
	return c.tmux(t, "capture-pane", "-p", "-t", "console")
}

// quit presses q and waits for the console to leave (the shell's sleep keeps the pane).
func (c *tmuxConsole) quit(t testing.TB) {
	t.Helper()
	c.tmux(t, "send-keys", "-t", "console", "q")
	waitFor(t, 15*time.Second, "the console to quit", func() bool {
		return !strings.Contains(c.capture(t), sandboxAppID)
	})
}
