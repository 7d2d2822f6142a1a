package flow_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"wxauth/core/flow"
)

// TestOpenBrowserSaysWhyInPlainWords: the system browser's failures reach the user as a reason
// they can act on (no display, no browser program), never the exec package's internals.
func TestOpenBrowserSaysWhyInPlainWords(t *testing.T) {
	cases := []struct {
		name    string
		display string
		path    string
		reason  string
	}{
		{"no display", "", "", "no browser could be opened (no DISPLAY)"},
		{"no browser program", ":0", t.TempDir(), "no browser could be opened (no browser program found: install xdg-utils or set $BROWSER)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DISPLAY", tc.display)
			t.Setenv("WAYLAND_DISPLAY", "")
			t.Setenv("BROWSER", "")
			t.Setenv("PATH", tc.path)
			sb, ctx := start(t)
			events, stop := sb.Engine.Subscribe(16)
			defer stop()
			url := sb.Platform.PublicURL + "/wechat/auth/start?session=x"
			err := sb.Engine.OpenBrowser(ctx, sb.Platform.ComponentAppID, url)
			var be *flow.BrowserError
			if !errors.As(err, &be) || !strings.HasPrefix(err.Error(), tc.reason) || !strings.HasSuffix(err.Error(), url) {
				t.Fatalf("OpenBrowser: %v", err)
			}
			if strings.Contains(err.Error(), "exec") || strings.Contains(err.Error(), "$PATH") {
				t.Errorf("exec internals in %q", err)
			}
			if tc.display != "" && !errors.Is(err, exec.ErrNotFound) {
				t.Errorf("the system's error is not kept for the log: %v", errors.Unwrap(err))
			}
			if ev := waitEvent(t, events, flow.EventBrowser); ev.Message != err.Error() {
				t.Errorf("event %q, error %q", ev.Message, err)
			}
		})
	}
}
