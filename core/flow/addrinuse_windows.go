//go:build windows

package flow

import (
	"errors"

	"golang.org/x/sys/windows"
)

// addrInUse reports whether a listen failed because another program has the port: Winsock
// says so with its own code, not the POSIX one Go invents for Windows.
func addrInUse(err error) bool { return errors.Is(err, windows.WSAEADDRINUSE) }
