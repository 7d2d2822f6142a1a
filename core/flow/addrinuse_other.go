//go:build !windows

package flow

import (
	"errors"
	"syscall"
)

// addrInUse reports whether a listen failed because another program has the port.
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
