package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) quotaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Show today's API calls, or clear the daily quota after 45009",
		Long: `WeChat limits each API per day (quota days start at midnight China time) and answers 45009
when the limit is reached. wxauth counts its own calls per API per day; the refresher stops
calling on 45009 until the day ends. ` + "`quota clear`" + ` resets the platform's quota with
clear_quota/v2 (by AppSecret, so it works even when fetching a token is at 45009); WeChat
allows 10 resets a month.`,
		Example: `  wxauth quota              # calls made by wxauth today, per API
  wxauth quota --json
  wxauth quota clear        # after 45009: reset the daily quota (10 a month; asks first)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				snap, err := eng.Snapshot(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				if a.flags.json {
					return jsonOut(a.out, map[string]any{"component_appid": p.ComponentAppID,
						"calls_today": snap.CallsToday, "quota_exhausted": snap.Has(flow.SideQuotaExhausted)})
				}
				apis := make([]string, 0, len(snap.CallsToday))
				for api := range snap.CallsToday {
					apis = append(apis, api)
				}
				sort.Strings(apis)
				fmt.Fprintf(a.out, "calls by wxauth today (%s, China time) for %s:\n", flow.QuotaDay(snap.Now), p.ComponentAppID)
				if len(apis) == 0 {
					fmt.Fprintln(a.out, "  none")
				}
				for _, api := range apis {
					fmt.Fprintf(a.out, "  %-26s %d\n", api, snap.CallsToday[api])
				}
				if snap.Has(flow.SideQuotaExhausted) {
					fmt.Fprintln(a.out, "quota exhausted (45009) today: the refresher is paused; `wxauth quota clear` resets it")
				}
				return nil
			})
		},
	}
	cmd.AddCommand(a.quotaClearCmd())
	return cmd
}

func (a *app) quotaClearCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "clear [--yes]",
		Short: "Reset the platform's daily API quota with clear_quota/v2 (10 resets a month; asks first)",
		Long: `Reset the platform's daily API quota with clear_quota/v2. WeChat allows 10 resets a month, so
it asks first on a terminal; scripts pass --yes (without a terminal and without --yes it refuses).`,
		Example: `  wxauth quota clear
  wxauth quota clear --yes    # from a script`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				if !yes {
					ok, err := a.confirm(fmt.Sprintf("Reset the daily API quota of %s? This spends one of the 10 resets WeChat allows each month. [y/N] ", p.ComponentAppID))
					if err != nil {
						return err
					}
					if !ok {
						return withCode(ExitFailure, errors.New("not cleared: the answer was not yes"))
					}
				}
				if err := eng.ClearQuota(ctx, p.ComponentAppID); err != nil {
					return engineErr(err)
				}
				if a.flags.json {
					return jsonOut(a.out, map[string]any{"component_appid": p.ComponentAppID, "cleared": true})
				}
				fmt.Fprintf(a.out, "daily quota of %s cleared; the refresher resumes\n", p.ComponentAppID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask (for scripts): spend one of the month's 10 resets")
	return cmd
}

// confirm asks question on the terminal and reports whether the answer is yes. Without a
// terminal to ask on, it refuses with a usage error naming --yes.
func (a *app) confirm(question string) (bool, error) {
	if _, tty := ttyFD(a.in); !tty {
		return false, usageErr("this needs a confirmation and stdin is not a terminal" + remedySep + "pass --yes to confirm from a script")
	}
	fmt.Fprint(a.err, question)
	line, err := bufio.NewReader(a.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, withCode(ExitFailure, fmt.Errorf("reading the answer: %w", err))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
