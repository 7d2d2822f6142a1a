package flow

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
)

// BrowserError says, in the user's terms, why the launch page did not open; Err keeps the
// system's own error for the log.
type BrowserError struct {
	Reason string // "no DISPLAY", "no browser program found (xdg-open)", …
	URL    string
	Err    error
}

func (e *BrowserError) Error() string {
	return "no browser could be opened (" + e.Reason + "); open this address yourself: " + e.URL
}

func (e *BrowserError) Unwrap() error { return e.Err }

// BrowserUnavailable says why no graphical browser can open here, "" when one can.
func BrowserUnavailable(getenv func(string) string) string {
	return browserUnavailableOn(runtime.GOOS, getenv)
}

// browserUnavailableOn is BrowserUnavailable for goos. macOS and Windows always have a desktop
// to open a browser on; elsewhere, without a display, xdg-open falls back to console browsers
// that would take over the terminal.
func browserUnavailableOn(goos string, getenv func(string) string) string {
	if goos == "darwin" || goos == "windows" {
		return ""
	}
	if getenv("BROWSER") != "" || getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	return "no DISPLAY"
}

// displayMissing is the system browser's check before it tries.
func displayMissing(url string) error {
	if why := BrowserUnavailable(os.Getenv); why != "" {
		return &BrowserError{Reason: why, URL: url}
	}
	return nil
}

// browserFailure turns the opener's error into words: no program, or a program that failed.
func browserFailure(err error) string { return browserFailureOn(runtime.GOOS, err) }

// browserFailureOn is browserFailure for goos: only Linux desktops may lack the opener
// (xdg-open); macOS has open(1) and Windows its shell.
func browserFailureOn(goos string, err error) string {
	switch {
	case !errors.Is(err, exec.ErrNotFound):
		return "the browser program failed"
	case goos == "darwin" || goos == "windows":
		return "the system's browser opener is missing"
	}
	return "no browser program found: install xdg-utils or set $BROWSER"
}
