package cli_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"
)

// packageDeadline replaces go test's default 10-minute deadline for this package: its tests
// run real processes, a MariaDB, a redis-server and a three-host failover, which take 5–6
// minutes on a loaded 2-core machine and more under -race. An explicit -timeout is kept.
const packageDeadline = 40 * time.Minute

// TestMain gives the tests (and the wxauth processes they start) a data directory of their
// own, so nothing they write by default (the simulator's clock file, a default database)
// lands in the user's.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.timeout"); f != nil && f.Value.String() == (10*time.Minute).String() {
		_ = f.Value.Set(packageDeadline.String())
	}
	dir, err := os.MkdirTemp("", "wxauth-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	maria.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}
