package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
)

func (a *app) simCmd() *cobra.Command {
	var (
		addr, worldFile string
		printWorld      bool
		pushInterval    time.Duration
		speed           float64
		clockFile       string
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the embedded WeChat simulator (component API, authorization pages, pushes)",
		Long: `sim serves a simulated WeChat Open Platform on one base URL: the component API
(api_component_token, api_create_preauthcode, api_query_auth, api_authorizer_token, …), the
authorization pages (/cgi-bin/componentloginpage, /wxaopen/safe/bindcomponent), encrypted
component_verify_ticket and authorization pushes to each platform's event_url, and a control API
under /sim/ to approve as a merchant, revoke, push now, move the virtual clock, inject faults and
read counters (GET /sim/ lists it).

Without --world it serves a built-in sandbox: one platform whose event_url and auth_domain are
wxauth's own listener (127.0.0.1:8765) and four merchant accounts. --print-world prints that
world with its secrets, to copy and edit. It runs until interrupted (Ctrl-C or SIGTERM).

The virtual clock never goes back across runs: it starts no earlier than the newest push of the
previous run, recorded in --clock-file (default: sim-clock in wxauth's data directory), so a
wxauth that used an earlier run (even one whose clock was moved ahead) keeps accepting tickets.
--clock-file "" starts from the real time.`,
		Example: `  wxauth sim                                  # the sandbox on 127.0.0.1:9090
  wxauth sim --addr 127.0.0.1:0               # any free port (printed on the first line)
  wxauth sim --print-world > world.json       # then edit and:
  wxauth sim --world world.json --push-interval 1m --speed 10

  # with curl: a ticket, a token, a pre_auth_code
  curl -s -X POST http://127.0.0.1:9090/sim/push-ticket -d '{}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			world, source, err := loadSimWorld(worldFile)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if cmd.Flags().Changed("push-interval") {
				if pushInterval < time.Second {
					return usageErr("--push-interval must be at least 1s, got %v", pushInterval)
				}
				world.Settings.PushInterval = wxsim.Duration(pushInterval)
			}
			if speed <= 0 {
				return usageErr("--speed must be greater than 0, got %v", speed)
			}
			if printWorld {
				enc := json.NewEncoder(a.out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return withCode(ExitFailure, enc.Encode(world))
			}
			if !cmd.Flags().Changed("clock-file") {
				if clockFile, err = defaultSimClockFile(); err != nil {
					return withCode(ExitFailure, err)
				}
			}
			return a.runSim(cmd.Context(), addr, world, source, wxsim.Options{Speed: speed, ClockFile: clockFile})
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:9090", "address to listen on (port 0 picks a free port)")
	f.StringVar(&worldFile, "world", "", "world file (JSON); default: the built-in sandbox")
	f.BoolVar(&printWorld, "print-world", false, "print the world as JSON, secrets included, and exit")
	f.DurationVar(&pushInterval, "push-interval", 0, "component_verify_ticket push interval, virtual time (default: the world's, 10m)")
	f.Float64Var(&speed, "speed", 1, "virtual clock speed (10 makes a 2 h token expire in 12 min)")
	f.StringVar(&clockFile, "clock-file", "", "where the virtual clock is kept across runs (default: sim-clock in the data directory; \"\" for none)")
	return cmd
}

// defaultSimClockFile is sim-clock beside the default database, its directory created 0700.
func defaultSimClockFile() (string, error) {
	db, err := flow.DefaultDatabasePath()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(db)
	if flow.IsServerDatabase(db) { // a server database has no directory: the host's data directory
		if dir, err = flow.LocalDataDir(); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s for the simulator's clock file: %w", dir, err)
	}
	return filepath.Join(dir, "sim-clock"), nil
}

func loadSimWorld(file string) (wxsim.World, string, error) {
	if file == "" {
		return wxsim.DefaultWorld(), "built-in sandbox", nil
	}
	w, err := wxsim.LoadWorld(file)
	if err != nil {
		return wxsim.World{}, "", fmt.Errorf("bad world file: %w", err)
	}
	return w, file, nil
}

// runSim serves the simulator until ctx ends (SIGINT/SIGTERM), then shuts down cleanly.
func (a *app) runSim(ctx context.Context, addr string, world wxsim.World, source string, opts wxsim.Options) error {
	opts.Logger = slog.New(slog.NewTextHandler(a.err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	speed := opts.Speed
	sim, err := wxsim.New(world, opts)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	defer sim.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("listening on %s: %w", addr, err))
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(a.out, "sim: listening on %s\n", base)
	printSimSummary(a.out, base, world, source, speed)

	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- sim.Run(runCtx) }()

	var failure error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		failure = fmt.Errorf("serving: %w", err)
	}
	stopRun()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) && failure == nil {
		failure = fmt.Errorf("shutting down: %w", err)
	}
	<-runDone
	if failure != nil {
		return withCode(ExitFailure, failure)
	}
	fmt.Fprintln(a.out, "sim: stopped")
	return nil
}

// printSimSummary shows what is being served, secrets masked, and how to start.
func printSimSummary(w io.Writer, base string, world wxsim.World, source string, speed float64) {
	s := world.Settings
	fmt.Fprintf(w, "world: %s · %d platform(s), %d account(s) · ticket push every %v · clock ×%g\n",
		source, len(world.Platforms), len(world.Accounts), s.PushInterval, speed)
	for _, p := range world.Platforms {
		fmt.Fprintf(w, "platform %s  appsecret %s  token %s  encoding_aes_key %s\n",
			p.ComponentAppID, wxsim.Mask(p.ComponentAppSecret), wxsim.Mask(p.Token), wxsim.Mask(p.EncodingAESKey))
		fmt.Fprintf(w, "  event_url    %s\n", orNone(p.EventURL, "(none: pushes wait for POST /sim/platform)"))
		fmt.Fprintf(w, "  auth_domain  %s\n", orNone(p.AuthDomain, "(none: every authorization page fails the domain check)"))
		wl := "(any IP)"
		if len(p.IPWhitelist) > 0 {
			wl = strings.Join(p.IPWhitelist, ", ")
		}
		fmt.Fprintf(w, "  ip_whitelist %s\n", wl)
	}
	fmt.Fprintln(w, "accounts:")
	for _, acc := range world.Accounts {
		kind := "official account"
		if acc.IsMiniProgram() {
			kind = "mini program"
		}
		fmt.Fprintf(w, "  %s  %s  %-16s %s · %s\n", acc.AppID, acc.UserName, kind, acc.NickName, acc.PrincipalName)
	}
	fmt.Fprintf(w, "control API: %s/sim/ (GET lists it) · secrets: wxauth sim --print-world\n", base)
	fmt.Fprintf(w, "try: curl -s -X POST %s/sim/push-ticket -d '{}'\n", base)
}

func orNone(v, none string) string {
	if v == "" {
		return none
	}
	return v
}
