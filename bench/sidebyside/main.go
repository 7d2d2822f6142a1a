// Command sidebyside measures wxauth against the baselines issue 11 names, in one run on one
// machine, and prints each target as a ratio (absolute figures only as context):
//
//   - valid ticket pushes, 16 keep-alive clients, unique tickets, each committed before
//     `success`: wxauth's listener vs a silenceper/wechat v2 receiver (which persists nothing),
//     and beside it the same receiver committing each ticket to SQLite (committingPeer), with
//     the process's CPU per push for each;
//   - steady 200 pushes/s: wxauth's p99 and p99.9, the bare handler's beside them;
//   - a flood of forged pushes: wxauth's listener vs a bare net/http handler;
//   - `wxauth token APPID` start to exit vs the sqlite3 CLI reading the same row, wxauth built
//     as a release binary (buildRelease), with two floors: `wxauth version` and rowreader/;
//   - verify + decrypt + parse of a ticket push: silenceper's time over wxauth's;
//   - a refresher pass over 10,000 authorizers (core/flow's TestFleetRefresh, which authorizes
//     them at the simulator first).
//
// It is a module of its own (go.mod: replace wxauth => ../..), so the product does not depend
// on the peer and `go test ./...` of the product does not build it. Run from this directory:
//
//	go run . [-pushes 20000] [-fleet 10000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wxauth/core/wxcrypt"
)

type options struct {
	pushes, clients, steady, flood, tokenRuns, parseRounds, fleet int
	cpuProfile                                                    string
}

func main() {
	var o options
	flag.IntVar(&o.pushes, "pushes", 20000, "valid pushes per receiver in the throughput test")
	flag.IntVar(&o.clients, "clients", 16, "keep-alive clients of the throughput and flood tests")
	flag.IntVar(&o.steady, "steady", 3000, "pushes of the steady 200/s test")
	flag.IntVar(&o.flood, "flood", 100000, "forged pushes per receiver in the flood test")
	flag.IntVar(&o.tokenRuns, "token-runs", 30, "runs of wxauth token and of the sqlite3 CLI (the median counts)")
	flag.IntVar(&o.parseRounds, "parse-rounds", 50, "rounds over 200 pushes in the parse test (the fastest counts)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of wxauth's valid-push test to this file")
	flag.IntVar(&o.fleet, "fleet", 10000, "authorizers of the refresh pass (0 skips it)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

// cpuOf is the CPU time (user and system) this process spends while f runs.
func cpuOf(f func()) time.Duration {
	before := processCPU()
	f()
	return processCPU() - before
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func uptime() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		return "uptime: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "MISSED"
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "sidebyside-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("sidebyside: %s %s/%s, %d CPUs\nload before: %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), uptime())
	c, err := wxcrypt.New(platToken, platAESKey, platAppID)
	if err != nil {
		return err
	}
	wx, db, err := wxauthTarget(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	peer, err := peerTarget(ctx, nil)
	if err != nil {
		return err
	}
	peerDB, closePeerDB, err := committingPeer(ctx, dir, o.clients)
	if err != nil {
		return err
	}
	defer closePeerDB()
	bare, err := bareTarget(ctx)
	if err != nil {
		return err
	}
	var created int64 = 1715943329

	// 1. Throughput of valid pushes.
	ps, err := sealTickets(c, o.pushes, "load", &created)
	if err != nil {
		return err
	}
	var peerRes, peerDBRes, wxRes result
	var peerCPU, peerDBCPU, wxCPU time.Duration
	peerCPU = cpuOf(func() { peerRes = closedLoop(ctx, o.clients, shots(peer, ps), "success") })
	peerDBCPU = cpuOf(func() { peerDBRes = closedLoop(ctx, o.clients, shots(peerDB, ps), "success") })
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	wxCPU = cpuOf(func() { wxRes = closedLoop(ctx, o.clients, shots(wx, ps), "success") })
	pprof.StopCPUProfile()
	for _, t := range []struct {
		name string
		r    result
	}{{"wxauth", wxRes}, {"silenceper", peerRes}, {"silenceper committing", peerDBRes}} {
		if t.r.failed > 0 {
			return fmt.Errorf("valid pushes failed at %s: %d (%v)", t.name, t.r.failed, t.r.firstErr)
		}
	}
	perPush := func(d time.Duration) time.Duration { return (d / time.Duration(o.pushes)).Round(time.Microsecond) }
	r := wxRes.rate() / peerRes.rate()
	fmt.Printf("valid pushes, %d clients, %d unique tickets, each committed: wxauth %.0f/s, silenceper %.0f/s: %.2f× the peer (target ≥ 1.0×: %s); "+
		"beside it, silenceper committing each ticket to SQLite %.0f/s: wxauth is %.2f× it; CPU per push, load generator included: wxauth %v, silenceper %v, committing %v\n",
		o.clients, o.pushes, wxRes.rate(), peerRes.rate(), r, verdict(r >= 1.0),
		peerDBRes.rate(), wxRes.rate()/peerDBRes.rate(), perPush(wxCPU), perPush(peerCPU), perPush(peerDBCPU))

	// 2. Steady 200/s.
	ps, err = sealTickets(c, o.steady, "steady", &created)
	if err != nil {
		return err
	}
	bareSteady := openLoop(ctx, 200, shots(bare, ps), "success")
	steady := openLoop(ctx, 200, shots(wx, ps), "success")
	if steady.failed > 0 {
		return fmt.Errorf("steady pushes failed: %d (%v)", steady.failed, steady.firstErr)
	}
	p99, p999 := steady.pct(0.99), steady.pct(0.999)
	fmt.Printf("steady 200/s, %d pushes: wxauth p50 %v p99 %v p99.9 %v; bare handler p99 %v p99.9 %v (target p99 ≤ 5 ms, p99.9 ≤ 10 ms: %s)\n",
		o.steady, steady.pct(0.5).Round(time.Microsecond), p99.Round(time.Microsecond), p999.Round(time.Microsecond),
		bareSteady.pct(0.99).Round(time.Microsecond), bareSteady.pct(0.999).Round(time.Microsecond),
		verdict(p99 <= 5*time.Millisecond && p999 <= 10*time.Millisecond))

	// 3. Forged flood.
	fw, err := forged(c, wx)
	if err != nil {
		return err
	}
	fb, err := forged(c, bare)
	if err != nil {
		return err
	}
	cycle := func(s []shot) []shot {
		out := make([]shot, o.flood)
		for i := range out {
			out[i] = s[i%len(s)]
		}
		return out
	}
	bareFlood := closedLoop(ctx, o.clients, cycle(fb), "success")
	wxFlood := closedLoop(ctx, o.clients, cycle(fw), "")
	if wxFlood.failed > 0 {
		return fmt.Errorf("forged pushes not all rejected: %d (%v)", wxFlood.failed, wxFlood.firstErr)
	}
	r = wxFlood.rate() / bareFlood.rate()
	fmt.Printf("forged flood, %d clients: wxauth %.0f/s, bare net/http %.0f/s: %.2f× the bare handler (target ≥ 0.8×: %s)\n",
		o.clients, wxFlood.rate(), bareFlood.rate(), r, verdict(r >= 0.8))

	// 4. wxauth token APPID vs sqlite3.
	if err := tokenTarget(ctx, o, dir); err != nil {
		return err
	}

	// 5. Parse.
	ps, err = sealTickets(c, 200, "parse", &created)
	if err != nil {
		return err
	}
	best, err := timeParse(ps, o.parseRounds, func(p wxcrypt.Push) error { return parseWXAuth(c, p) }, parsePeer)
	if err != nil {
		return err
	}
	wxParse, peerParse := best[0], best[1]
	r = float64(peerParse) / float64(wxParse)
	fmt.Printf("verify + decrypt + parse a ticket push (fastest of %d alternating rounds): wxauth %v, silenceper %v: %.1f× faster (target ≥ 8×: %s)\n",
		o.parseRounds, wxParse, peerParse, r, verdict(r >= 8))

	// 6. Refresh pass.
	if o.fleet > 0 {
		if err := fleetTarget(o.fleet); err != nil {
			return err
		}
	}
	fmt.Printf("load after: %s\n", uptime())
	return nil
}

func tokenTarget(ctx context.Context, o options, dir string) error {
	path, token, err := tokenDB(ctx, dir)
	if err != nil {
		return err
	}
	bin, err := buildRelease(dir)
	if err != nil {
		return err
	}
	wxT, err := median(o.tokenRuns, token, bin, "--db", path, "token", tokenAppID)
	if err != nil {
		return err
	}
	sqT, err := median(o.tokenRuns, token, "sqlite3", path,
		"SELECT access_token FROM authorizers WHERE authorizer_appid='"+tokenAppID+"'")
	if err != nil {
		return fmt.Errorf("%w (the sqlite3 CLI: apt-get install sqlite3)", err)
	}
	// The floor: starting the binary and printing its version, no database opened.
	ver, err := exec.Command(bin, "version").Output()
	if err != nil {
		return fmt.Errorf("wxauth version: %w", err)
	}
	verT, err := median(o.tokenRuns, strings.TrimSpace(string(ver)), bin, "version")
	if err != nil {
		return err
	}
	// The driver's floor: a Go program that only opens the file with modernc.org/sqlite and
	// prints the row (rowreader/).
	reader := filepath.Join(dir, "rowreader")
	build := exec.Command("go", "build", "-o", reader, "./rowreader")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building rowreader: %w", err)
	}
	rowT, err := median(o.tokenRuns, token, reader, path, tokenAppID)
	if err != nil {
		return err
	}
	r := float64(wxT) / float64(sqT)
	fmt.Printf("wxauth token APPID (median of %d, start to exit): wxauth %v, sqlite3 CLI %v: %.2f× (target ≤ 2×: %s); floors: `wxauth version` %v (%.2f× sqlite3), a bare Go reader on modernc.org/sqlite %v (%.2f× sqlite3; wxauth token is %.2f× it)\n",
		o.tokenRuns, wxT.Round(10*time.Microsecond), sqT.Round(10*time.Microsecond), r, verdict(r <= 2),
		verT.Round(10*time.Microsecond), float64(verT)/float64(sqT),
		rowT.Round(10*time.Microsecond), float64(rowT)/float64(sqT), float64(wxT)/float64(rowT))
	return nil
}

// buildRelease builds wxauth as scripts/release.sh builds release binaries: static (no cgo, so
// no dynamic loader at start) and without symbol tables. The same binary starts up to a third
// faster or slower with how its file sits in the page cache (Linux 6.18, ext4, `wxauth
// version`: about 17 ms when written in one write(), cached in large folios; 24–27 ms as `go
// build` leaves it or as read back from disk after its pages were evicted, a binary after a
// reboot). Compare runs of this program, not figures taken by hand.
func buildRelease(dir string) (string, error) {
	bin := filepath.Join(dir, "wxauth")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Dir, build.Stderr = "../..", os.Stderr
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building wxauth: %w", err)
	}
	return bin, nil
}

var passLine = regexp.MustCompile(`refresh pass ([0-9.]+[a-zµ]+), (\d+) refreshed, (\d+) failed, CPU ([0-9.]+) ms per authorizer`)

// fleetTarget runs core/flow's TestFleetRefresh with WXAUTH_FLEET=n and reports its pass.
func fleetTarget(n int) error {
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestFleetRefresh$", "-v", "./core/flow/")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), fmt.Sprintf("WXAUTH_FLEET=%d", n))
	out, err := cmd.CombinedOutput()
	m := passLine.FindSubmatch(out)
	if err != nil || m == nil {
		return fmt.Errorf("TestFleetRefresh: %v\n%s", err, out)
	}
	d, err := time.ParseDuration(string(m[1]))
	if err != nil {
		return err
	}
	cpu, err := strconv.ParseFloat(string(m[4]), 64)
	if err != nil {
		return err
	}
	fmt.Printf("refresh pass of %d authorizers (TestFleetRefresh, simulator in-process): %v, %s refreshed, %s failed, CPU %.2f ms per authorizer with the simulator's (target ≤ 5 s, ≤ 0.5 ms CPU: %s)\n",
		n, d.Round(time.Millisecond), m[2], m[3], cpu, verdict(d <= 5*time.Second && cpu <= 0.5))
	return nil
}
