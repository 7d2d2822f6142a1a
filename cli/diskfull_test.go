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

// TestReadOnlyDatabase: with the database file or its directory read-only, `wxauth token` and
// `wxauth ticket set` fail with exit 1 and a message naming the database, the cause and the
// fix, and write nothing. As root (whom file modes do not stop) the binary runs as nobody.
func TestReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	e := newSimEnvAt(t, wxsim.DefaultWorld(), tempDB(t))
	e.authorizeByPaste(t, coffeeAppID)
	bin := buildWXAuth(t)

	// A tree the runner can reach: as root, owned by nobody and readable on the way down.
	var cred *syscall.Credential
	base := t.TempDir()
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		var err error
		if base, err = os.MkdirTemp("", "wxauth-readonly-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(base) })
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		copied := filepath.Join(base, "wxauth")
		copyFile(t, bin, copied, 0o755)
		bin = copied
	}
	tests := []struct {
		name            string
		fileMode, dirMo os.FileMode
		cause           string
	}{
		{"file read-only", 0o400, 0o700, "permission denied"},
		{"directory read-only", 0o600, 0o500, "its directory is not writable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(base, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "wxauth.db")
			copyFile(t, e.db, db, 0o600)
			if _, err := os.Stat(e.db + "-wal"); err == nil { // commits the test's open handle has not checkpointed
				copyFile(t, e.db+"-wal", db+"-wal", 0o600)
			}
			before := readState(t, db, coffeeAppID) // and checkpointed on close
			if cred != nil {
				for _, p := range []string{dir, db} {
					if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := os.Chmod(db, tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMo); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"token", coffeeAppID}, {"ticket", "set", "ticket@@@copied-from-a-log"}} {
				r := runProcAs(t, cred, bin, append([]string{"--db", db}, args...)...)
				if r.code != 1 || r.out != "" {
					t.Errorf("%s: exit %d, stdout %q, stderr %s; want exit 1 and nothing on stdout", args[0], r.code, r.out, r.err)
				}
				for _, want := range []string{db, "is read-only", tt.cause, "nothing was written", "what to do:"} {
					if !strings.Contains(r.err, want) {
						t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, r.err)
					}
				}
			}
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(db, 0o600); err != nil {
				t.Fatal(err)
			}
			if after := readState(t, db, coffeeAppID); after != before {
				t.Errorf("stored state changed: %+v → %+v", before, after)
			}
		})
	}
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
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("token still running with the disk full\nstderr: %s", p.err.String())
	}
	if code := p.state.ExitCode(); code != 1 || p.out.String() != "" {
		t.Errorf("token on a full disk: exit %d, stdout %q; want exit 1, nothing on stdout", code, p.out.String())
	}
	for _, want := range []string{"storing the access token of " + coffeeAppID, e.db, "the disk is full", "stored tokens are intact", "what to do: free space"} {
		if !strings.Contains(p.err.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.err.String())
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if after := readState(t, e.db, coffeeAppID); after != before {
		t.Errorf("half-written: %+v → %+v", before, after)
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

// runProcAs is runProc as another user (cred nil: as ourselves).
func runProcAs(t testing.TB, cred *syscall.Credential, bin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME=/nonexistent")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running %s: %v", bin, err)
		}
		code = ee.ExitCode()
	}
	return cliResult{code: code, out: out.String(), err: errOut.String()}
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
