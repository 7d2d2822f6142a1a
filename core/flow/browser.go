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

// BrowserUnavailable says why no graphical browser can open here, "" when one can. Without a
// display, xdg-open falls back to console browsers that would take over the terminal.
func BrowserUnavailable(getenv func(string) string) string {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
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
func browserFailure(err error) string {
	if errors.Is(err, exec.ErrNotFound) {
		return "no browser program found: install xdg-utils or set $BROWSER"
	}
	return "the browser program failed"
}
