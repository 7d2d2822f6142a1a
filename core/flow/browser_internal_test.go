package flow

import (
	"errors"
	"fmt"
	"os/exec"
	"testing"
)

// TestBrowserPerOS: macOS and Windows always have a desktop to open a browser on, so no
// Linux-only check ($DISPLAY) stops the launch page there; the failure words fit each OS.
func TestBrowserPerOS(t *testing.T) {
	noDisplay := func(string) string { return "" }
	display := func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	notFound := fmt.Errorf("open: %w", exec.ErrNotFound)
	tests := []struct {
		goos        string
		getenv      func(string) string
		unavailable string
		err         error
		failure     string
	}{
		{"linux", noDisplay, "no DISPLAY", notFound, "no browser program found: install xdg-utils or set $BROWSER"},
		{"linux", display, "", errors.New("exit status 3"), "the browser program failed"},
		{"freebsd", noDisplay, "no DISPLAY", notFound, "no browser program found: install xdg-utils or set $BROWSER"},
		{"darwin", noDisplay, "", notFound, "the system's browser opener is missing"},
		{"windows", noDisplay, "", errors.New("exit status 1"), "the browser program failed"},
		{"windows", noDisplay, "", notFound, "the system's browser opener is missing"},
	}
	for _, tt := range tests {
		if got := browserUnavailableOn(tt.goos, tt.getenv); got != tt.unavailable {
			t.Errorf("%s: browserUnavailableOn = %q, want %q", tt.goos, got, tt.unavailable)
		}
		if got := browserFailureOn(tt.goos, tt.err); got != tt.failure {
			t.Errorf("%s: browserFailureOn(%v) = %q, want %q", tt.goos, tt.err, got, tt.failure)
		}
	}
}
