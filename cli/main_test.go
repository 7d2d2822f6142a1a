package cli_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the tests (and the wxauth processes they start) a data directory of their
// own, so nothing they write by default (the simulator's clock file, a default database)
// lands in the user's.
func TestMain(m *testing.M) {
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
