package cli

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/tokenapi"
	"wxauth/tui"
)

// ConsoleOptions shape a console run.
type ConsoleOptions struct {
	// Sandbox is set by `wxauth demo`: the console then offers to approve a pending
	// authorization as the sandbox merchant. The sandbox serves the listener and runs the
	// refresher itself (sandbox.Options{Refresher: true}), so the console starts neither.
	Sandbox interface {
		Approve(ctx context.Context, sessionID string) error
	}
}

// runConsole shows the console on eng until the user quits. Outside the sandbox it also serves
// the listener on the platform's listen address (when that is busy, say because `wxauth serve`
// runs, the console says so and goes on) and runs the refresher, both for as long as it runs.
func (a *app) runConsole(ctx context.Context, eng *flow.Engine, opts ConsoleOptions) error {
	ro := tui.RunOptions{Options: tui.Options{Platform: a.flags.platform, Listen: opts.Sandbox == nil}, Refresher: opts.Sandbox == nil}
	if opts.Sandbox != nil {
		ro.Sandbox = opts.Sandbox
	} else {
		apiCtx, stopAPI := context.WithCancel(ctx)
		var running sync.WaitGroup
		defer func() { stopAPI(); running.Wait() }() // before the engine closes
		// One feed follows the store for the console's token API and its publishers, as in serve.
		ro.Feed = eng.NewTokenFeed(0)
		running.Go(func() { _ = ro.Feed.Run(apiCtx) })
		ro.TokenAPI = consoleTokenAPI(apiCtx, eng, ro.Feed, &running)
	}
	res, err := tui.Run(ctx, eng, ro)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("%w (the console needs a terminal; headless commands such as `wxauth status` work without one)", err))
	}
	if res.WantSandbox {
		return a.firstRunSandbox(ctx)
	}
	return nil
}

// consoleTokenAPI serves the token API from the console on its default address when that is
// free, as the console serves the listener; when it is taken (a `wxauth serve` runs), the header
// says whether that one answers.
func consoleTokenAPI(ctx context.Context, eng *flow.Engine, feed *flow.TokenFeed, running *sync.WaitGroup) tui.TokenAPIStatus {
	srv := tokenapi.New(tokenapi.Config{Engine: eng, Logger: eng.Logger(), Feed: feed})
	bound, done, err := srv.Listen(ctx, tokenapi.ListenOptions{Addr: tokenapi.DefaultAddr})
	if err == nil {
		running.Go(func() { srv.Run(ctx) })
		running.Go(func() { <-done })
		return func(context.Context) (bool, string) { return true, bound + " (here)" }
	}
	hc := &http.Client{}
	return func(ctx context.Context) (bool, string) {
		return tokenapi.Probe(ctx, hc, tokenapi.DefaultAddr), tokenapi.DefaultAddr
	}
}

// consoleRun is the root command: the console on the configured database.
func (a *app) consoleRun(ctx context.Context) error {
	eng, closeEngine, err := a.openEngine(ctx, flow.CreateIfMissing)
	if err != nil {
		return err
	}
	defer closeEngine()
	return a.runConsole(ctx, eng, ConsoleOptions{})
}

// firstRunSandbox is the first run's "try the sandbox": the demo, in a temporary database so
// the user's own stays empty until they configure a real platform.
func (a *app) firstRunSandbox(ctx context.Context) error {
	logger, closeLog, err := a.demoLogger()
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer closeLog()
	sb, err := sandbox.Start(ctx, sandbox.Options{Logger: logger, Refresher: true})
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("starting the sandbox: %w", err))
	}
	defer sb.Close()
	return a.demoConsole(ctx, sb)
}
