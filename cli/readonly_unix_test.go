//go:build unix

package cli_test

// Read-only databases need Unix file modes and, as root, a run as another user: neither exists
// on Windows, where the ACL decides.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"wxauth/core/wxsim"
)

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
