package tui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"wxauth/core/sandbox"
)

// startSandbox brings up the simulator, the listener and a sandbox platform with its first
// ticket, the way `wxauth demo` does.
func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	ctx := t.Context()
	sb, err := sandbox.Start(ctx, sandbox.Options{DBPath: t.TempDir() + "/wxauth.db", Refresher: true, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return sb
}

// TestDemoAuthorizesThroughTheSimulator runs the real program on the sandbox: authorize,
// approve as the sandbox merchant, see the authorizer row appear, copy its token.
func TestDemoAuthorizesThroughTheSimulator(t *testing.T) {
	sb := startSandbox(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	m := New(ctx, sb.Engine, Options{Sandbox: sb, TickEvery: 200 * time.Millisecond, ReloadEvery: time.Second})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithEnvironment([]string{"TERM=xterm-256color"})))
	events, stop := sb.Engine.Subscribe(64)
	defer stop()
	go func() {
		for ev := range events {
			tm.Send(engineEventMsg(ev))
		}
	}()

	out := tm.Output()
	start := time.Now()
	wait := func(what string, re *regexp.Regexp) {
		t.Helper()
		teatest.WaitFor(t, out, func(b []byte) bool { return re.Match(b) },
			teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
		t.Logf("%s: seen after %s", what, time.Since(start).Round(time.Millisecond))
	}
	wait("the dashboard", regexp.MustCompile(`No account has authorized this platform yet|ready to authorize`))
	tm.Send(keyMsg("a"))
	wait("the options", regexp.MustCompile(`Authorize an account`))
	tm.Send(keyMsg("enter"))
	wait("the session", regexp.MustCompile(`waiting for the merchant`))
	tm.Send(keyMsg("x"))
	wait("the new authorizer's row, selected", regexp.MustCompile(`▸ wx8d5e2f7a1c3b9046 拾光咖啡点单 +MP +healthy`))
	tm.Send(keyMsg("c"))
	wait("the copy", regexp.MustCompile(`copied the access token`))
	tm.Send(keyMsg("q"))

	defer func() { t.Logf("quit after %s", time.Since(start).Round(time.Millisecond)) }()
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	a, ok := final.table.Selected()
	if !ok || a.AppID != "wx8d5e2f7a1c3b9046" || a.AccessToken == "" {
		t.Fatalf("selected %+v", a)
	}
	if final.screen != screenDashboard {
		t.Fatalf("screen %d", final.screen)
	}
	v := view(final)
	mustContain(t, v, "wx8d5e2f7a1c3b9046", "拾光咖啡点单", "healthy", "1 authorized")
	// The stored token is what went to the clipboard.
	stored, err := sb.Engine.Authorizer(t.Context(), sb.Platform.ComponentAppID, "wx8d5e2f7a1c3b9046")
	if err != nil {
		t.Fatal(err)
	}
	if stored.AccessToken != a.AccessToken {
		t.Fatal("the table shows another token than the database")
	}
}

// TestRunOwnsItsGoroutines runs the console the way the CLI does, refresher included, and
// quits it with a key: once Run returns, the refresher has stopped (no pass renews the lease).
func TestRunOwnsItsGoroutines(t *testing.T) {
	ctx := t.Context()
	sb, err := sandbox.Start(ctx, sandbox.Options{DBPath: t.TempDir() + "/wxauth.db"}) // no refresher of its own
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	lease := "refresh/" + sb.Platform.ComponentAppID
	in, typeKeys := io.Pipe()
	go func() {
		// Quit once the console's refresher holds the platform's lease.
		for {
			if holder, _, err := sb.DB.LeaseHolder(ctx, lease); err == nil && holder != "" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Leave the console time to load the platform and draw it (the lease can be taken
		// before the first frame with data) before quitting.
		time.Sleep(500 * time.Millisecond)
		typeKeys.Write([]byte("q"))
	}()
	var out bytes.Buffer
	res, err := Run(ctx, sb.Engine, RunOptions{
		Options:   Options{Getenv: func(string) string { return "" }},
		Refresher: true, RefreshInterval: 50 * time.Millisecond,
		ProgramOptions: []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(&out),
			tea.WithWindowSize(80, 24), tea.WithoutSignals(), tea.WithColorProfile(colorprofile.Ascii)},
	})
	if err != nil || res.WantSandbox {
		t.Fatalf("Run: %v %+v", err, res)
	}
	_, until, err := sb.DB.LeaseHolder(ctx, lease)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // six refresher intervals
	if _, again, _ := sb.DB.LeaseHolder(ctx, lease); !again.Equal(until) {
		t.Fatalf("the refresher still runs after Run returned: lease renewed from %s to %s", until, again)
	}
	if !strings.Contains(out.String(), sb.Platform.ComponentAppID) {
		t.Fatal("the console never drew the platform")
	}
}
