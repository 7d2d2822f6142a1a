//go:build unix

package cli_test

import "syscall"

// terminateSelf sends SIGTERM to this process, as `kill` would to a running wxauth serve.
func terminateSelf() error { return syscall.Kill(syscall.Getpid(), syscall.SIGTERM) }
