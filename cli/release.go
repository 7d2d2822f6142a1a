package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/core/release"
)

func (a *app) releaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Get ready for 全网发布 (the full-network release test)",
		Long: `Until a platform passes WeChat's automated release test (全网发布), only the accounts of its test
list can authorize it. wxauth answers the test by itself at the 消息与事件接收URL while ` + "`wxauth serve`" + `
runs; ` + "`release check`" + ` says whether the set-up is ready.`,
	}
	cmd.AddCommand(a.releaseCheckCmd())
	return cmd
}

func (a *app) releaseCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Pre-release checklist, and the release test itself against a simulator (exit 1 on a failure)",
		Long: `Prints one line per item of the pre-release checklist (URLs and domains consistent, the message
URL, the ticket's freshness, permission sets, test accounts). When the platform's API base is a
wxauth simulator, it also runs the simulated release test against the running ` + "`wxauth serve`" + ` and
prints each of WeChat's check items with pass/fail and why.`,
		Example: `  wxauth release check
  wxauth release check --json | jq '.checks[] | select(.level != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				checks, err := eng.ReleaseChecklist(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				rep, ran, err := eng.ReleaseTest(ctx, p.ComponentAppID)
				if err != nil {
					checks = append(checks, release.Check{Name: "release test", Level: release.Fail, Msg: err.Error(),
						Fix: "run `wxauth serve` for this platform and the simulator, then try again"})
				}
				return a.printRelease(p, checks, rep, ran)
			})
		},
	}
}

func (a *app) printRelease(p flow.Platform, checks []release.Check, rep release.Report, ran bool) error {
	failed := 0
	for _, c := range checks {
		if c.Level == release.Fail {
			failed++
		}
	}
	if ran && !rep.Passed {
		failed++
	}
	if a.flags.json {
		out := map[string]any{"component_appid": p.ComponentAppID, "checks": checks, "passed": failed == 0}
		if ran {
			out["release_test"] = rep
		}
		if err := jsonOut(a.out, out); err != nil {
			return err
		}
	} else {
		for _, c := range checks {
			fmt.Fprintf(a.out, "%-4s  %s: %s\n", c.Level, c.Name, c.Msg)
			if c.Fix != "" {
				fmt.Fprintf(a.out, "      fix: %s\n", c.Fix)
			}
		}
		if ran {
			fmt.Fprintf(a.out, "release test (simulated, test account %s, message URL %s):\n", rep.AuthorizerAppID, rep.MessageURL)
			for _, it := range rep.Items {
				mark := "pass"
				if !it.OK {
					mark = "FAIL"
				}
				fmt.Fprintf(a.out, "  %s  [%s] %s\n", mark, it.Name, it.Why)
			}
		} else if failed == 0 || checks[len(checks)-1].Name != "release test" {
			fmt.Fprintln(a.out, "release test: not run (the API base is WeChat itself: start 全网发布 on the open platform)")
		}
	}
	if failed > 0 {
		return withCode(ExitFailure, fmt.Errorf("release check: %d item(s) failed", failed))
	}
	return nil
}
