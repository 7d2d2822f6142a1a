package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) doctorCmd() *cobra.Command {
	var opt flow.DoctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [--public-url URL]",
		Short: "Check the set-up from the outside in: public URL, listener, API access, ticket, clock, database",
		Long: `Check a platform's set-up as WeChat and a merchant's browser see it, one line per check
(ok / warn / fail) with the fix:

  event URL    a probe push, signed and encrypted with the platform's keys, sent to
               {public URL}/wechat/events through your tunnel or proxy, must come back as exactly
               "success" (no redirect, no BOM, no HTML) in time, and this database's listener must
               have seen it (so another server answering "success" is caught)
  launch page  {public URL}/wechat/auth/start is served by wxauth
  auth domain  the public URL's host is the registered 授权发起页域名 (the redirect URI's host too)
  listener     a wxauth listener of this database answers on the listen address
  API access   one cheap call: the IP whitelist (61004 names the IP WeChat saw), the credentials
  ticket       a component_verify_ticket arrived recently (one comes every 10 minutes)
  clock        this host's clock against the API host's Date header
  database     PRAGMA integrity_check, and owner-only file modes (a MySQL database:
               CHECK TABLE; its grants decide who reads it)

Probes slower than --slow warn, slower than --timeout fail (WeChat gives up after 5 s).
Exits 1 when any check fails.`,
		Example: `  wxauth doctor
  wxauth doctor --public-url https://auth.example.com   # before registering a new tunnel
  wxauth doctor --json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.Timeout <= 0 || opt.SlowAfter <= 0 {
				return usageErr("--timeout and --slow must be positive")
			}
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				r, err := eng.Doctor(ctx, p.ComponentAppID, opt)
				if err != nil {
					return engineErr(err)
				}
				if err := a.printDoctor(r); err != nil {
					return err
				}
				if r.Failed() {
					return withCode(ExitFailure, errors.New("the doctor found failures (see the lines marked fail)"))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.PublicURL, "public-url", "", "probe this base URL instead of the platform's public URL")
	f.DurationVar(&opt.Timeout, "timeout", flow.DoctorTimeout, "a probe slower than this fails")
	f.DurationVar(&opt.SlowAfter, "slow", flow.DoctorSlowAfter, "a probe slower than this warns")
	return cmd
}

func (a *app) printDoctor(r flow.DoctorReport) error {
	if a.flags.json {
		checks := make([]map[string]any, 0, len(r.Checks))
		for _, c := range r.Checks {
			checks = append(checks, map[string]any{"name": c.Name, "status": c.Status, "detail": c.Detail,
				"fix": c.Fix, "took_ms": c.Took.Milliseconds()})
		}
		return jsonOut(a.out, map[string]any{"component_appid": r.ComponentAppID, "public_url": r.PublicURL,
			"failed": r.Failed(), "checks": checks})
	}
	rows := make([][]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		line := c.Detail
		if c.Fix != "" && c.Status != flow.CheckOK {
			line += " — " + c.Fix
		}
		rows = append(rows, []string{string(c.Status), c.Name, line})
	}
	return writeTable(a.out, rows)
}
