package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

func (a *app) demoCmd() *cobra.Command {
	var headless bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run wxauth on the embedded WeChat simulator with a sandbox platform",
		Long: `demo starts the embedded WeChat simulator and wxauth's listener on free loopback ports, with a
sandbox platform in a temporary database (or --db), so the whole flow runs with no WeChat account.

--headless runs the real path once and prints each step with its duration: a ticket arrives as
an encrypted HTTP push, component token, pre_auth_code, the launch page fetched and its link
followed with the Referer, the merchant approves on the simulator's page, the redirect reaches our
callback, exchange, authorizer info, one authorizer-token refresh, the token proven at the simulator.`,
		Example: `  wxauth demo                    # the console on the sandbox
  wxauth demo --headless         # the smoke test of the whole product
  wxauth demo --headless --json  # the same, one JSON object`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger, closeLog, err := a.demoLogger()
			if err != nil {
				return withCode(ExitFailure, err)
			}
			defer closeLog()
			storeOpts, err := a.storeOptions()
			if err != nil {
				return err
			}
			opts := sandbox.Options{DBPath: a.flags.db, Logger: logger, Refresher: !headless, StoreOptions: storeOpts}
			if !headless {
				// Authorizer tokens live 5 minutes in the console demo instead of 2 hours, so a
				// newcomer sees one renewed on its own (about a minute before it expires).
				world := wxsim.DefaultWorld()
				world.Settings.AuthorizerTokenTTL = wxsim.Duration(demoTokenTTL)
				opts.World = &world
			}
			sb, err := sandbox.Start(ctx, opts)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("starting the sandbox: %w", err))
			}
			defer sb.Close()
			if !headless {
				return a.demoConsole(ctx, sb)
			}
			return a.demoHeadless(ctx, sb)
		},
	}
	cmd.Flags().BoolVar(&headless, "headless", false, "run the flow once without the console and print each step")
	return cmd
}

// demoLogger logs beside --db, or to a temporary file: never to the terminal.
func (a *app) demoLogger() (*slog.Logger, func(), error) {
	dir := os.TempDir()
	if flow.IsServerDatabase(a.flags.db) {
		d, err := flow.LocalDataDir()
		if err != nil {
			return nil, nil, err
		}
		dir = d
	} else if a.flags.db != "" {
		dir = filepath.Dir(a.flags.db)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, err
		}
	}
	f, err := flow.OpenLogFile(filepath.Join(dir, "wxauth-demo.log")) // the temporary directory is shared
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }, nil
}

func (a *app) demoHeadless(ctx context.Context, sb *sandbox.Sandbox) error {
	if !a.flags.json {
		fmt.Fprintf(a.out, "simulator %s, listener %s, platform %s\n", sb.SimURL, sb.ListenURL, sb.Platform.ComponentAppID)
	}
	rep, err := sb.RunHeadless(ctx, func(s sandbox.Step) {
		if a.flags.json {
			return
		}
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(a.out, "%s %-62s %6.1f ms  %s\n", mark, s.Name, float64(s.Duration.Microseconds())/1000, s.Detail)
	})
	if a.flags.json {
		type step struct {
			Name string  `json:"name"`
			OK   bool    `json:"ok"`
			MS   float64 `json:"ms"`
		}
		type authz struct {
			AppID           string `json:"authorizer_appid"`
			NickName        string `json:"nick_name"`
			ExpiresAt       string `json:"access_token_expires_at"`
			HasRefreshToken bool   `json:"has_refresh_token"`
		}
		out := struct {
			Platform struct {
				ComponentAppID string `json:"component_appid"`
			} `json:"platform"`
			Steps       []step  `json:"steps"`
			Authorizers []authz `json:"authorizers"`
			Error       string  `json:"error,omitempty"`
		}{Steps: []step{}, Authorizers: []authz{}}
		out.Platform.ComponentAppID = sb.Platform.ComponentAppID
		for _, s := range rep.Steps {
			out.Steps = append(out.Steps, step{s.Name, s.OK, float64(s.Duration.Microseconds()) / 1000})
		}
		for _, au := range rep.Authorizers {
			out.Authorizers = append(out.Authorizers, authz{au.AppID, au.NickName, au.AccessExpiresAt.UTC().Format(time.RFC3339), au.RefreshToken != ""})
		}
		if err != nil {
			out.Error = err.Error()
		}
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(out); jerr != nil {
			return withCode(ExitFailure, jerr)
		}
	}
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if !a.flags.json {
		fmt.Fprintln(a.out, "demo: the whole flow works")
	}
	return nil
}

// demoTokenTTL is the authorizer-token lifetime of the console demo.
const demoTokenTTL = 5 * time.Minute

// demoConsole opens the console on the sandbox; the simulator pushes the first ticket as it
// starts, as WeChat does once a platform is approved.
func (a *app) demoConsole(ctx context.Context, sb *sandbox.Sandbox) error {
	return a.runConsole(ctx, sb.Engine, ConsoleOptions{Sandbox: sb})
}
