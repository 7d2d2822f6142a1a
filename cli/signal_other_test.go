//go:build !unix

package cli_test

import "errors"

// terminateSelf: Windows has no way for a process to send itself a console signal that
// os/signal would see, so the serve tests that stop serve this way fail here.
func terminateSelf() error {
	return errors.New("this OS cannot send a console signal to its own process")
}
