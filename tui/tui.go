package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/atotto/clipboard"

	"wxauth/core/flow"
	"wxauth/core/publish"
)

// RunOptions are Options plus what only a running program needs.
type RunOptions struct {
	Options
	// Refresher runs the engine's refresher for as long as the console runs. Leave it off when
	// something else in the process runs one (the demo's sandbox does).
	Refresher       bool
	RefreshInterval time.Duration
	// Feed, when set, is a token feed the caller runs (shared with its token API); the
	// publishers follow it instead of a feed of their own.
	Feed           *flow.TokenFeed
	ProgramOptions []tea.ProgramOption // tests pass input, output and size
}

// Run shows the console until the user quits. Engine events reach it through Program.Send
// from one goroutine; the refresher, when asked for, the listener and an authorization's run
// (commands of the model) live exactly as long as the program.
func Run(ctx context.Context, eng *flow.Engine, ro RunOptions) (Result, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := ro.Options
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Clipboard == nil {
		opts.Clipboard = SystemClipboard(opts.Getenv)
	}
	m := New(ctx, eng, opts)
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, ro.ProgramOptions...)...)

	events, unsubscribe := eng.Subscribe(256)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				p.Send(engineEventMsg(ev))
			}
		}
	})
	if ro.Refresher {
		wg.Go(func() {
			if err := eng.RunRefresher(ctx, ro.RefreshInterval); err != nil {
				p.Send(databaseDamagedMsg{err})
			}
		})
		// The lease holder publishes into the Redis sinks: while this console refreshes a
		// platform, it writes that platform's keys too.
		_, waitPublisher := publish.Start(ctx, eng, ro.Feed, publish.Options{})
		defer waitPublisher()
	}
	_, err := p.Run()
	cancel()
	unsubscribe()
	wg.Wait() // the refresher hands its leases over before we return
	if err != nil && parent.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
		err = nil // SIGINT/SIGTERM: a normal way to leave
	}
	if err != nil {
		return m.Result(), fmt.Errorf("console: %w", err)
	}
	return m.Result(), nil
}

// SystemClipboard returns a writer to the system clipboard, or nil when there is none: no
// xclip, xsel or wl-copy (or no display for them to talk to), pbcopy, or the Windows clipboard.
// Writes give up after 3 s rather than hang the console; the tools' output is discarded.
func SystemClipboard(getenv func(string) string) func(string) error {
	if clipboard.Unsupported {
		return nil
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return nil // xclip and friends need a display server
		}
	}
	return func(s string) error {
		done := make(chan error, 1)
		go func() { done <- clipboard.WriteAll(s) }()
		select {
		case err := <-done:
			return err
		case <-time.After(3 * time.Second):
			return errors.New("the clipboard tool did not answer")
		}
	}
}
