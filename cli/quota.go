package cli

import (
	"context"
	"fmt"
	"sort"

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
  wxauth quota clear        # after 45009: reset the daily quota (10 a month)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				snap, err := eng.Snapshot(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				if a.g.json {
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
	cmd.AddCommand(&cobra.Command{
		Use:     "clear",
		Short:   "Reset the platform's daily API quota with clear_quota/v2 (10 resets a month)",
		Example: `  wxauth quota clear`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				if err := eng.ClearQuota(ctx, p.ComponentAppID); err != nil {
					return engineErr(err)
				}
				fmt.Fprintf(a.out, "daily quota of %s cleared; the refresher resumes\n", p.ComponentAppID)
				return nil
			})
		},
	})
	return cmd
}
