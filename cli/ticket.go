package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) ticketCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ticket",
		Short: "Show, set or request the component_verify_ticket",
		Long: `WeChat pushes a component_verify_ticket to the 授权事件接收URL every 10 minutes; it is valid 12 h
and needed to mint the component_access_token. There is no API to pull one: ` + "`ticket push`" + ` asks
WeChat to push one now (api_start_push_ticket), and ` + "`ticket set`" + ` stores one copied from
elsewhere (e.g. a production log).`,
		Example: `  wxauth ticket show
  wxauth ticket show --json   # {"component_appid","ticket","received_at","age_seconds"}
  wxauth ticket push
  wxauth ticket set 'ticket@@@Kx3…'`,
	}
	cmd.AddCommand(a.ticketShowCmd(), a.ticketSetCmd(), a.ticketPushCmd())
	return cmd
}

func (a *app) ticketShowCmd() *cobra.Command {
	var reveal bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the current ticket and its age (exit 3 when none has arrived)",
		Example: `  wxauth ticket show
  wxauth ticket show --reveal
  wxauth ticket show --json | jq .age_seconds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				snap, err := eng.Snapshot(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				if snap.Ticket == nil {
					return withCode(ExitWaiting, fmt.Errorf("no component_verify_ticket has arrived yet for %s\n  what to do: make sure %s/wechat/events reaches the listener (`wxauth serve`), then `wxauth ticket push`",
						p.ComponentAppID, p.PublicURL))
				}
				t := *snap.Ticket
				age := snap.Now.Sub(t.ReceivedAt)
				if a.g.json {
					return jsonOut(a.out, map[string]any{
						"component_appid": t.ComponentAppID,
						"ticket":          t.Value,
						"received_at":     timeJSON(t.ReceivedAt),
						"age_seconds":     int64(age / time.Second),
						"created_at":      timeJSON(t.CreateTime),
						"expires_at":      timeJSON(snap.TicketExpiresAt),
						"source":          t.Source,
						"last_push_at":    timeJSON(snap.LastPushAt),
					})
				}
				shown := flow.Mask(t.Value)
				if reveal {
					shown = t.Value
				}
				fmt.Fprintf(a.out, "ticket      %s\n", shown)
				fmt.Fprintf(a.out, "received    %s (%s, from %s)\n", t.ReceivedAt.Format(time.RFC3339), agoText(snap.Now, t.ReceivedAt), t.Source)
				fmt.Fprintf(a.out, "valid until %s (%s)\n", snap.TicketExpiresAt.Format(time.RFC3339), untilText(snap.Now, snap.TicketExpiresAt))
				if snap.Has(flow.SideTicketStale) {
					fmt.Fprintf(a.err, "note: no ticket push for %s (WeChat pushes every 10 minutes); check that %s/wechat/events is reachable, then `wxauth ticket push`\n",
						flow.ShortDuration(snap.Now.Sub(snap.LastPushAt)), p.PublicURL)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "print the ticket in full (--json always does)")
	return cmd
}

func (a *app) ticketSetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set TICKET",
		Short: "Store a ticket copied from elsewhere (it never replaces a newer pushed one)",
		Example: `  wxauth ticket set 'ticket@@@Kx3…'
  wxauth --platform wx1234567890abcdef ticket set "$(grep -o 'ticket@@@[^<]*' push.log | tail -1)"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				if err := eng.SetTicket(ctx, p.ComponentAppID, args[0]); err != nil {
					var ue *flow.UserError
					if errors.As(err, &ue) {
						return usageErr("%s", err)
					}
					return engineErr(err)
				}
				cur, _, err := eng.CurrentTicket(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				current := cur.Value == strings.TrimSpace(args[0])
				if a.g.json {
					return jsonOut(a.out, map[string]any{"component_appid": p.ComponentAppID, "current": current})
				}
				if !current {
					fmt.Fprintf(a.out, "ticket stored in the history of %s; a newer one stays current\n", p.ComponentAppID)
					return nil
				}
				fmt.Fprintf(a.out, "ticket stored for %s and now current\n", p.ComponentAppID)
				return nil
			})
		},
	}
}

func (a *app) ticketPushCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "push",
		Short: "Ask WeChat to push a ticket now (api_start_push_ticket)",
		Long: `Ask WeChat to push a component_verify_ticket now. It arrives at the 授权事件接收URL, so a
listener must be running there (` + "`wxauth serve`" + `); ` + "`wxauth ticket show`" + ` then shows it.`,
		Example: `  wxauth ticket push && sleep 5 && wxauth ticket show`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				msg, err := eng.StartPushTicket(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				if a.g.json {
					return jsonOut(a.out, map[string]any{"component_appid": p.ComponentAppID, "message": msg})
				}
				fmt.Fprintln(a.out, msg)
				return nil
			})
		},
	}
}
