package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/core/publish"
	"wxauth/core/tokenapi"
)

// serveCmd is long for its help text; the work is in the engine (Listen, RunRefresher).
func (a *app) serveCmd() *cobra.Command {
	var listen string
	var interval time.Duration
	api := tokenapi.ListenOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--interval 15s]",
		Short: "Run the listener and the refresher for every platform until SIGINT/SIGTERM",
		Long: `Run the daemon: one HTTP listener per distinct listen address of the platforms in the database
(the 授权事件接收URL /wechat/events, the launch page and the redirect capture), and the refresher,
which renews tickets' tokens and every authorizer's token ahead of expiry.

Any number of serve, console and token processes may share one database: a lease in the database
makes exactly one of them refresh each platform, and another takes over if it stops: at once
after a clean stop or when the stopped process ran on this host (even after kill -9), after the
lease's 60 s otherwise. An
` + "`authorized`" + ` push alone is enough for serve to exchange the code and store the authorizer.
With Redis sinks configured (` + "`wxauth publish`" + `), the process holding a platform's lease also writes
its tokens into the keys the SDKs read.

It also serves the token API (中控) for other programs on --api (default 127.0.0.1:8766, never the
address WeChat reaches): keys made with ` + "`wxauth client add`" + `, tokens served from memory and renewed
under the lease when needed, /healthz, /readyz and /metrics. A non-loopback --api needs
--api-tls-cert/--api-tls-key or --api-allow-plaintext. When the default address is taken (another
serve on this machine), serve says so and runs without it; an --api given explicitly must bind.

stdout gets one line per bound address ("serve: listening on http://ADDR", "serve: token API on
http://ADDR"); events go to stderr
(as JSON lines with --json). Exits 0 on SIGINT or SIGTERM, 1 if a listener fails or the
database turns out damaged (the message says how to check and restore it).`,
		Example: `  wxauth serve
  wxauth serve --listen 0.0.0.0:8765          # behind a reverse proxy on another host
  wxauth serve --api 0.0.0.0:8766 --api-tls-cert cert.pem --api-tls-key key.pem
  wxauth serve --api ""                        # no token API
  systemd: ExecStart=/usr/local/bin/wxauth serve --db /var/lib/wxauth/wxauth.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageErr("--interval must be positive, got %s", interval)
			}
			if listen != "" {
				if err := flow.CheckListenAddr(listen); err != nil {
					return usageErr("--listen: %w", err)
				}
			}
			if api.Addr != "" {
				if err := tokenapi.CheckListen(api); err != nil {
					return usageErr("--api: %w", err)
				}
			}
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			// Cancelled (and everything below waited for) before the database closes.
			ctx, cancel := context.WithCancel(cmd.Context())
			var running sync.WaitGroup
			defer func() { cancel(); running.Wait() }()

			ps, err := eng.Platforms(ctx)
			if err != nil {
				return engineErr(err)
			}
			if len(ps) == 0 {
				return withCode(ExitWaiting, fmt.Errorf("no platform is configured\n  what to do: add one with `wxauth platform add`, or try `wxauth demo`"))
			}
			addrs := listenAddrs(ps, listen)
			if api.Addr != "" && slices.Contains(addrs, api.Addr) {
				return usageErr("--api %s is the address of the WeChat-facing listener; give the token API its own (the default is %s)", api.Addr, tokenapi.DefaultAddr)
			}

			events, unsubscribe := eng.Subscribe(64)
			running.Add(1)
			go func() {
				defer running.Done()
				a.printEvents(events)
			}()
			defer unsubscribe() // runs first: closes the channel so printEvents returns

			failed, err := a.listen(ctx, eng, addrs, &running)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			// One feed follows the store for the token service and the publishers.
			feed := eng.NewTokenFeed(0)
			running.Go(func() { _ = feed.Run(ctx) })
			var srv *tokenapi.Server
			if api.Addr != "" {
				srv, err = a.serveTokenAPI(ctx, eng, feed, api, &running, failed)
				switch {
				case err != nil && !cmd.Flags().Changed("api") && flow.AddrInUse(err):
					// The default address is taken (another serve on this host serves the API):
					// this one refreshes and listens all the same.
					fmt.Fprintf(a.err, "serve: token API not started: %s is in use (another wxauth serve?); give --api ADDR to serve it here too\n", api.Addr)
				case err != nil:
					return withCode(ExitFailure, err)
				}
			}
			runRefresher(ctx, eng, interval, &running, failed)
			// Tokens into the Redis sinks (`wxauth publish`), for the platforms this process
			// holds the lease of; their health joins the token service's /metrics.
			pub, waitPublisher := publish.Start(ctx, eng, feed, publish.Options{})
			running.Go(waitPublisher)
			if srv != nil {
				srv.Registry().MustRegister(pub.Collector())
			}
			select {
			case <-ctx.Done():
				fmt.Fprintln(a.err, "serve: stopping")
				return nil
			case err := <-failed:
				return withCode(ExitFailure, err)
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "", "bind this address for every platform instead of each platform's own")
	f.DurationVar(&interval, "interval", 15*time.Second, "how often the refresher looks for credentials due for renewal")
	f.StringVar(&api.Addr, "api", tokenapi.DefaultAddr, "serve the token API (中控) for other programs on this address; \"\" turns it off")
	f.StringVar(&api.TLSCert, "api-tls-cert", "", "serve the token API over TLS with this certificate (PEM)")
	f.StringVar(&api.TLSKey, "api-tls-key", "", "the TLS certificate's private key (PEM)")
	f.BoolVar(&api.AllowPlaintext, "api-allow-plaintext", false, "allow plain HTTP for the token API on a non-loopback address (a trusted private network)")
	f.BoolVar(&a.noReleaseResponder, "no-release-responder", false, "do not answer the 全网发布 test's messages to the official test accounts")
	return cmd
}

// listen binds every address, printing each once it is bound; failed yields the error of a
// listener that stops serving.
func (a *app) listen(ctx context.Context, eng *flow.Engine, addrs []string, running *sync.WaitGroup) (chan error, error) {
	failed := make(chan error, len(addrs)+2) // +2: the refresher on a damaged database, the token API
	for _, addr := range addrs {
		bound, done, err := eng.Listen(ctx, addr)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(a.out, "serve: listening on http://%s\n", bound)
		running.Add(1)
		go func() {
			defer running.Done()
			if err := <-done; err != nil { // nil after a clean shutdown
				failed <- fmt.Errorf("listener %s: %w", bound, err)
			}
		}()
	}
	return failed, nil
}

// serveTokenAPI serves the token API on its own address (never the WeChat-facing listener) until
// ctx ends; failed yields its error if it stops serving.
func (a *app) serveTokenAPI(ctx context.Context, eng *flow.Engine, feed *flow.TokenFeed, o tokenapi.ListenOptions, running *sync.WaitGroup, failed chan<- error) (*tokenapi.Server, error) {
	srv := tokenapi.New(tokenapi.Config{Engine: eng, Logger: eng.Logger(), Feed: feed})
	bound, done, err := srv.Listen(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%w\n  what to do: free the address, pick another with --api ADDR, or turn the token API off with --api \"\"", err)
	}
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(a.out, "serve: token API on %s://%s\n", scheme, bound)
	running.Add(2)
	go func() {
		defer running.Done()
		srv.Run(ctx)
	}()
	go func() {
		defer running.Done()
		if err := <-done; err != nil {
			failed <- fmt.Errorf("token API %s: %w", bound, err)
		}
	}()
	return srv, nil
}

// runRefresher runs the refresher until ctx ends (it hands its leases over before returning).
// Only a damaged database ends it early, and serve with it, rather than fail every pass.
func runRefresher(ctx context.Context, eng *flow.Engine, interval time.Duration, running *sync.WaitGroup, failed chan<- error) {
	running.Add(1)
	go func() {
		defer running.Done()
		if err := eng.RunRefresher(ctx, interval); err != nil {
			failed <- err
		}
	}()
}

// printEvents writes engine events to stderr until the channel closes: the daemon's log for
// whoever watches it (secrets never appear in events), one line each, control characters
// escaped. With --json, encoding/json escapes them.
func (a *app) printEvents(events <-chan flow.Event) {
	enc := json.NewEncoder(a.err)
	for ev := range events {
		if a.flags.json {
			_ = enc.Encode(map[string]any{"at": ev.At.Format(time.RFC3339), "level": ev.Level, "kind": ev.Kind,
				"component_appid": ev.ComponentAppID, "authorizer_appid": ev.AuthorizerAppID, "code": ev.Code,
				"message": ev.Message, "remedy": ev.Remedy})
			continue
		}
		// One line per event whatever it carries: an unauthenticated push's AppId is in it, and
		// a line break or CR in there would forge a line of its own.
		line := fmt.Sprintf("%s %-5s %s %s", ev.At.Format("15:04:05"), ev.Level, ev.ComponentAppID, ev.Text())
		fmt.Fprintln(a.err, flow.Printable(line))
	}
}

// listenAddrs is each distinct address to bind: the platforms' own, or override for all.
func listenAddrs(ps []flow.Platform, override string) []string {
	var addrs []string
	seen := map[string]bool{}
	for _, p := range ps {
		addr := p.ListenAddr
		if override != "" {
			addr = override
		}
		if !seen[addr] {
			seen[addr] = true
			addrs = append(addrs, addr)
		}
	}
	return addrs
}
