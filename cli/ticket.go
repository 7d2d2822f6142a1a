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
				if a.flags.json {
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
				if a.flags.json {
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
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "push [--wait 10s]",
		Short: "Ask WeChat to push a ticket now (api_start_push_ticket) and wait for it to arrive",
		Long: `Ask WeChat to push a component_verify_ticket now, and wait (--wait, 10 s by default) until a
listener sharing this database has received it. It arrives at the 授权事件接收URL, so a listener
must be running there (` + "`wxauth serve`" + ` or the console). While nothing has arrived, the
request is repeated every few seconds, so a ` + "`wxauth serve`" + ` started a moment earlier
still gets it. Exit status 3 when nothing arrives in time: check that serve runs on this
database and that the event URL reaches it. --wait 0 only asks.`,
		Example: `  wxauth ticket push && wxauth token
  wxauth ticket push --wait 0      # ask and return at once`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if wait < 0 {
				return usageErr("--wait must not be negative, got %s", wait)
			}
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				return a.pushTicket(ctx, eng, p, wait)
			})
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Second, "how long to wait for the ticket to arrive (0: do not wait)")
	return cmd
}

// pushAskEvery is how often ticket push repeats its request while no ticket has arrived: a
// push WeChat sent before the listener was up is lost, and it sends no other for 10 minutes.
const pushAskEvery = 3 * time.Second

// pushTicket asks for a ticket and waits until a push newer than the last one is stored (by
// whichever process listens, through the shared database).
func (a *app) pushTicket(ctx context.Context, eng *flow.Engine, p flow.Platform, wait time.Duration) error {
	before, err := eng.Snapshot(ctx, p.ComponentAppID)
	if err != nil {
		return engineErr(err)
	}
	msg, err := eng.StartPushTicket(ctx, p.ComponentAppID)
	if err != nil {
		return engineErr(err)
	}
	if wait == 0 {
		if a.flags.json {
			return jsonOut(a.out, map[string]any{"component_appid": p.ComponentAppID, "message": msg, "received": false})
		}
		fmt.Fprintln(a.out, msg)
		return nil
	}
	if !a.flags.json {
		fmt.Fprintln(a.err, msg+"; waiting for it…")
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	lastAsk := time.Now()
	for {
		select {
		case <-ctx.Done():
			return withCode(ExitFailure, fmt.Errorf("interrupted while waiting for the ticket"))
		case <-deadline.C:
			return withCode(ExitWaiting, fmt.Errorf("no component_verify_ticket arrived within %s of asking WeChat to push one to %s"+remedySep+
				"is `wxauth serve` running, on this database? is the event URL right (it must reach the listener on %s; `wxauth platform show` prints it)?",
				wait, p.EventURL(), p.ListenAddr))
		case <-poll.C:
		}
		snap, err := eng.Snapshot(ctx, p.ComponentAppID)
		if err != nil {
			return engineErr(err)
		}
		if snap.LastPushAt.After(before.LastPushAt) && snap.Ticket != nil {
			return a.printTicketArrived(snap)
		}
		if time.Since(lastAsk) >= pushAskEvery {
			lastAsk = time.Now()
			if _, err := eng.StartPushTicket(ctx, p.ComponentAppID); err != nil {
				return engineErr(err)
			}
		}
	}
}

func (a *app) printTicketArrived(snap flow.Snapshot) error {
	t := *snap.Ticket
	if a.flags.json {
		return jsonOut(a.out, map[string]any{"component_appid": t.ComponentAppID, "received": true,
			"received_at": timeJSON(snap.LastPushAt), "expires_at": timeJSON(snap.TicketExpiresAt)})
	}
	fmt.Fprintf(a.out, "ticket received for %s, valid until %s (%s)\n", t.ComponentAppID,
		snap.TicketExpiresAt.Format(time.RFC3339), untilText(snap.Now, snap.TicketExpiresAt))
	return nil
}
