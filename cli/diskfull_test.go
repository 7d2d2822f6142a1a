package cli_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// storedState is what must survive a failed write unchanged.
type storedState struct {
	token, refresh, ticket string
	version                int64
}

func readState(t testing.TB, db, appid string) storedState {
	t.Helper()
	ctx := context.Background()
	sdb := openStore(t, db)
	defer sdb.Close()
	a, err := sdb.Authorizer(ctx, sandboxAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := sdb.CurrentTicket(ctx, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := sdb.IntegrityCheck(ctx); err != nil || v != "ok" {
		t.Fatalf("integrity_check %q, %v", v, err)
	}
	return storedState{token: a.AccessToken, refresh: a.RefreshToken, ticket: tk.Ticket, version: a.AccessVersion}
}

// TestDiskFullMidRefresh: the disk fills up while `wxauth token` waits for WeChat's answer to a
// refresh (a real ENOSPC on a 1 MB tmpfs, so root and mount are needed; elsewhere it skips and
// storage's TestFileFailuresRollBackAndSaySo covers the same error with SQLite's page limit).
// The command fails with exit 1 saying the disk is full; the previous token is intact and the
// database sound. Once space is freed, the next `wxauth token` succeeds within seconds: the
// lease the failed process could not release is taken over from a dead process.
func TestDiskFullMidRefresh(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the storage package covers SQLITE_FULL with max_page_count", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })

	world := wxsim.DefaultWorld()
	world.Settings.AuthorizerTokenTTL = wxsim.Duration(2 * time.Second)
	world.Settings.AuthorizerTokenOverlap = wxsim.Duration(time.Second)
	e := newSimEnvAt(t, world, filepath.Join(dir, "wxauth.db"))
	sim := e.sim
	e.authorizeByPaste(t, coffeeAppID)
	bin := buildWXAuth(t)

	time.Sleep(2 * time.Second) // the stored token expires: `token` must refresh it
	before := readState(t, e.db, coffeeAppID)
	sim.SetFaults(wxsim.Faults{Path: wxapi.PathAuthorizerToken, Latency: wxsim.Duration(time.Second)})
	calls := sim.Stats().Calls["api_authorizer_token"]
	p := startProc(t, "token", bin, nil, "--db", e.db, "token", coffeeAppID)
	waitFor(t, 10*time.Second, "the refresh to reach WeChat", func() bool { return sim.Stats().Calls["api_authorizer_token"] > calls })
	filler := fillDisk(t, dir) // while WeChat takes its time to answer
	// The disk stays full: space SQLite frees meanwhile (its background checkpoint truncating
	// the WAL) is taken again at once, as a busy disk's other writers would.
	stopFilling := keepFull(t, filler, p.done)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("token still running with the disk full\nstderr: %s", p.err.String())
	}
	stopFilling()
	code := p.state.ExitCode()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	after := readState(t, e.db, coffeeAppID)
	switch code {
	case 1: // the disk stayed full until the command gave up: it says so, nothing half-written
		if p.out.String() != "" {
			t.Errorf("token on a full disk printed %q", p.out.String())
		}
		for _, want := range []string{"storing the access token of " + coffeeAppID, e.db, "the disk is full", "stored tokens are intact", "what to do: free space"} {
			if !strings.Contains(p.err.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, p.err.String())
			}
		}
		// Nothing half-written: the stored pair is the old one, or (when the command's shutdown
		// wrote the held answer in a moment the disk had room) WeChat's new one, whole.
		wroteAtExit := after.version == before.version+1 && after.refresh == before.refresh && after.ticket == before.ticket
		if after != before && !wroteAtExit {
			t.Errorf("half-written: %+v → %+v", before, after)
		}
		if wroteAtExit {
			if ti := e.checkToken(t, after.token); !ti.Valid {
				t.Errorf("token written at exit refused by WeChat: %+v", ti)
			}
		}
	case 0: // space came back while the command held WeChat's answer in memory: it was stored
		if got := strings.TrimSpace(p.out.String()); got != after.token || after.refresh == "" || after.version != before.version+1 {
			t.Errorf("held token stored inconsistently: printed %q, stored %+v (before %+v)", got, after, before)
		}
	default:
		t.Errorf("token on a full disk: exit %d\nstderr: %s", code, p.err.String())
	}
	sim.ClearFaults()
	start := time.Now()
	r := runProc(t, bin, nil, "--db", e.db, "token", coffeeAppID)
	if r.code != 0 {
		t.Fatalf("token after freeing space: exit %d\n%s", r.code, r.err)
	}
	if ti := e.checkToken(t, strings.TrimSpace(r.out)); !ti.Valid {
		t.Errorf("token after freeing space refused: %+v", ti)
	}
	t.Logf("disk full mid-refresh: exit 1 with %q…; after freeing space `wxauth token` took %v (the stale lease of the failed process taken over)",
		firstLine(p.err.String()), time.Since(start).Round(time.Millisecond))
}

// newSimEnvAt is newSimEnv with a world of the test's and the database at db, usable in
// parallel tests (the appsecret goes through stdin, not the environment).
func newSimEnvAt(t testing.TB, world wxsim.World, db string) *simEnv {
	t.Helper()
	sim, err := wxsim.New(world, wxsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	e := &simEnv{sim: sim, simURL: srv.URL, db: db, addr: freeAddr(t)}
	e.public = "http://" + e.addr
	addSandboxPlatform(t, e.db, e.addr, srv.URL)
	if err := sim.SetPlatformURLs(sandboxAppID, e.public+"/wechat/events", e.addr); err != nil {
		t.Fatal(err)
	}
	return e
}

// fillDisk writes a file in dir until the file system is full, and returns its path.
// keepFull appends to filler whatever space appears until done is closed or stop is called.
func keepFull(t testing.TB, filler string, done <-chan struct{}) (stop func()) {
	t.Helper()
	f, err := os.OpenFile(filler, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		defer f.Close()
		buf := make([]byte, 4<<10)
		for {
			for _, size := range []int{4 << 10, 512, 1} {
				for {
					if _, err := f.Write(buf[:size]); err != nil {
						break
					}
				}
			}
			select {
			case <-done:
				return
			case <-quit:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
		<-finished
	}
}

func fillDisk(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{64 << 10, 4 << 10, 512, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
