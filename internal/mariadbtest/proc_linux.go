package mariadbtest

import (
	"os"
	"syscall"
)

// sysProcAttr makes mariadbd die with the test binary, even when it is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

func terminate(p *os.Process) { _ = p.Signal(syscall.SIGTERM) }
