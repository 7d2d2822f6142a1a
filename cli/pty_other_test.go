//go:build !linux

package cli_test

import (
	"os"
	"testing"
)

// openPTY: the pty tests drive Linux's /dev/ptmx (pty_linux_test.go); here they skip.
func openPTY(t testing.TB) (master, slave *os.File) {
	t.Helper()
	t.Skip("the pseudo-terminal tests run on Linux")
	return nil, nil
}

// echoOff is never reached: openPTY has skipped the test.
func echoOff(t testing.TB, _ *os.File) bool {
	t.Helper()
	t.Fatal("echoOff without a pseudo-terminal")
	return false
}
