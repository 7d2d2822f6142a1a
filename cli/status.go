package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) statusCmd() *cobra.Command {
	var nEvents int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where each platform stands: state, ticket, tokens, authorizers, recent events",
		Long: `Show, for every platform (or the one chosen with --platform): its state in the flow
(NeedConfig → AwaitTicket → TicketReady → ComponentToken → Authorizing → Authorized), side states
(TicketStale, IPNotWhitelisted, QuotaExhausted, NeedsReauthorization) with what to do about them,
the ticket's age, the component token's expiry, how many authorizers are healthy, today's API
calls and the last few events. Read-only: nothing is refreshed.`,
		Example: `  wxauth status
  wxauth status --json | jq '.platforms[] | {component_appid, state, side_states}'
  watch -n 10 wxauth status --events 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			eng, closeEng, err := a.openEngine(ctx, flow.MustExist)
			if err != nil {
				if flow.StoreUnavailable(err) {
					return storeDownErr(err, flow.StoreHealth{})
				}
				return err
			}
			defer closeEng()
			var ids []string
			if a.flags.platform != "" {
				p, err := a.platformFor(ctx, eng)
				if err != nil {
					return err
				}
				ids = []string{p.ComponentAppID}
			} else {
				ps, err := eng.Platforms(ctx)
				if err != nil {
					return storeErr(eng, err)
				}
				for _, p := range ps {
					ids = append(ids, p.ComponentAppID)
				}
			}
			out := statusJSON{Now: eng.Now().Format(time.RFC3339), Store: storeStatus{Reachable: true}, Platforms: []platformStatus{}}
			for _, id := range ids {
				ps, err := a.platformStatus(ctx, eng, id, nEvents)
				if err != nil {
					return storeErr(eng, err)
				}
				out.Platforms = append(out.Platforms, ps)
			}
			sinks, err := eng.Sinks(ctx)
			if err != nil {
				return engineErr(err)
			}
			out.Sinks = []sinkJSON{}
			for _, s := range sinks {
				out.Sinks = append(out.Sinks, sinkJSONOf(eng.Now(), s))
			}
			if a.flags.json {
				return jsonOut(a.out, out)
			}
			defer writeSinks(a.out, eng.Now(), sinks)
			if len(ids) == 0 {
				fmt.Fprintf(a.out, "%s: no platform is configured\n  next: add one with `wxauth platform add`, or try the sandbox with `wxauth demo`\n", flow.StateNeedConfig)
				return nil
			}
			for i, ps := range out.Platforms {
				if i > 0 {
					fmt.Fprintln(a.out)
				}
				writeStatus(a.out, eng.Now(), ps)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&nEvents, "events", 5, "how many recent events to show per platform")
	return cmd
}

type statusJSON struct {
	Now       string           `json:"now"`
	Store     storeStatus      `json:"store"`
	Platforms []platformStatus `json:"platforms"`
	Sinks     []sinkJSON       `json:"sinks"` // Redis sinks and their health (`publish list`)
}

// writeSinks ends `status` with the Redis sinks, when there are any.
func writeSinks(w io.Writer, now time.Time, sinks []flow.Sink) {
	if len(sinks) == 0 {
		return
	}
	fmt.Fprintln(w, "\nRedis sinks (wxauth publish)")
	for _, s := range sinks {
		writeSink(w, now, s, "  ")
	}
}

type platformStatus struct {
	ComponentAppID string         `json:"component_appid"`
	PublicURL      string         `json:"public_url"`
	ListenAddr     string         `json:"listen_addr"`
	State          string         `json:"state"`
	SideStates     []sideState    `json:"side_states"`
	NextStep       string         `json:"next_step,omitempty"`
	Ticket         *ticketStatus  `json:"ticket"`
	LastPushAt     any            `json:"last_push_at"`
	ComponentToken *tokenStatus   `json:"component_token"`
	Session        *sessionStatus `json:"session"`
	Authorizers    countStatus    `json:"authorizers"`
	CallsToday     map[string]int `json:"calls_today"`
	FaultsLastHour map[string]int `json:"faults_last_hour"`
	Events         []eventStatus  `json:"events"`

	ticketExpires time.Time
	lastPush      time.Time
	tokenExpires  time.Time
	renewAt       time.Time
	ticketAt      time.Time
	session       *flow.Session
	events        []flow.Event
}

type sideState struct {
	State  string `json:"state"`
	Remedy string `json:"remedy"`
}

type ticketStatus struct {
	ReceivedAt string `json:"received_at"`
	AgeSeconds int64  `json:"age_seconds"`
	ExpiresAt  string `json:"expires_at"`
	Source     string `json:"source"`
}

type tokenStatus struct {
	ExpiresAt        string `json:"expires_at"`
	ExpiresInSeconds int64  `json:"expires_in_seconds"`
	RenewAt          string `json:"renew_at"`
}

type sessionStatus struct {
	State            string `json:"state"`
	CreatedAt        string `json:"created_at"`
	PreAuthExpiresAt any    `json:"pre_auth_expires_at"`
	CodeSource       string `json:"code_source,omitempty"`
	AuthorizerAppID  string `json:"authorizer_appid,omitempty"`
	Error            string `json:"error,omitempty"`
}

type countStatus struct {
	Healthy int `json:"healthy"`
	Total   int `json:"total"`
}

type eventStatus struct {
	At              string `json:"at"`
	Level           string `json:"level"`
	Kind            string `json:"kind"`
	Code            int    `json:"code,omitempty"`
	AuthorizerAppID string `json:"authorizer_appid,omitempty"`
	Message         string `json:"message"`
}

func (a *app) platformStatus(ctx context.Context, eng *flow.Engine, id string, nEvents int) (platformStatus, error) {
	snap, err := eng.Snapshot(ctx, id)
	if err != nil {
		return platformStatus{}, err
	}
	p := snap.Platform
	ps := platformStatus{ComponentAppID: p.ComponentAppID, PublicURL: p.PublicURL, ListenAddr: p.ListenAddr,
		State: string(snap.State), SideStates: []sideState{}, LastPushAt: timeJSON(snap.LastPushAt),
		Authorizers: countStatus{Healthy: snap.Healthy, Total: len(snap.Authorizers)},
		CallsToday:  snap.CallsToday, FaultsLastHour: snap.FaultsLastHour, Events: []eventStatus{}, lastPush: snap.LastPushAt, session: snap.Session}
	if ps.CallsToday == nil {
		ps.CallsToday = map[string]int{}
	}
	if ps.FaultsLastHour == nil {
		ps.FaultsLastHour = map[string]int{}
	}
	for _, s := range snap.Side {
		ps.SideStates = append(ps.SideStates, sideState{State: string(s), Remedy: snap.Remedy(s)})
	}
	ps.NextStep = snap.NextStep()
	if t := snap.Ticket; t != nil {
		ps.Ticket = &ticketStatus{ReceivedAt: t.ReceivedAt.Format(time.RFC3339), AgeSeconds: int64(snap.Now.Sub(t.ReceivedAt) / time.Second),
			ExpiresAt: snap.TicketExpiresAt.Format(time.RFC3339), Source: t.Source}
		ps.ticketAt, ps.ticketExpires = t.ReceivedAt, snap.TicketExpiresAt
	}
	if t := snap.ComponentToken; t != nil {
		ps.ComponentToken = &tokenStatus{ExpiresAt: t.ExpiresAt.Format(time.RFC3339),
			ExpiresInSeconds: int64(t.ExpiresAt.Sub(snap.Now) / time.Second), RenewAt: snap.NextRefreshAt.Format(time.RFC3339)}
		ps.tokenExpires, ps.renewAt = t.ExpiresAt, snap.NextRefreshAt
	}
	if s := snap.Session; s != nil {
		ps.Session = &sessionStatus{State: string(s.State), CreatedAt: s.CreatedAt.Format(time.RFC3339), PreAuthExpiresAt: timeJSON(s.PreAuthExpiresAt),
			CodeSource: s.CodeSource, AuthorizerAppID: s.AuthorizerAppID, Error: s.Error}
	}
	if nEvents > 0 {
		evs, err := eng.Events(ctx, p.ComponentAppID, nEvents)
		if err != nil {
			return ps, err
		}
		ps.events = evs
		for _, ev := range evs {
			ps.Events = append(ps.Events, eventStatus{At: ev.At.Format(time.RFC3339), Level: ev.Level, Kind: string(ev.Kind),
				Code: ev.Code, AuthorizerAppID: ev.AuthorizerAppID, Message: ev.Text()})
		}
	}
	return ps, nil
}

func writeStatus(w io.Writer, now time.Time, ps platformStatus) {
	side := ""
	if len(ps.SideStates) > 0 {
		names := make([]string, len(ps.SideStates))
		for i, s := range ps.SideStates {
			names[i] = s.State
		}
		side = "  [" + strings.Join(names, ", ") + "]"
	}
	fmt.Fprintf(w, "platform %s  %s%s\n", ps.ComponentAppID, ps.State, side)
	for _, s := range ps.SideStates {
		fmt.Fprintf(w, "  ! %s: %s\n", s.State, flow.Printable(s.Remedy))
	}
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "  %-16s %s\n", label, flow.Printable(fmt.Sprintf(format, args...)))
	}
	row("listener", "%s, public at %s", ps.ListenAddr, ps.PublicURL)
	if ps.Ticket != nil {
		row("ticket", "received %s (%s), valid %s, last push %s", agoText(now, ps.ticketAt), ps.Ticket.Source,
			strings.TrimPrefix(untilText(now, ps.ticketExpires), "in ")+" more", agoText(now, ps.lastPush))
	} else {
		row("ticket", "none yet")
	}
	if ps.ComponentToken != nil {
		row("component token", "expires %s, renewal %s", untilText(now, ps.tokenExpires), untilText(now, ps.renewAt))
	} else {
		row("component token", "none")
	}
	if s := ps.session; s != nil {
		desc := string(s.State)
		switch s.State {
		case flow.SessionPending:
			desc += ", pre_auth_code " + untilText(now, s.PreAuthExpiresAt)
		case flow.SessionDone:
			desc += " " + agoText(now, s.FinishedAt) + " via " + s.CodeSource + ": " + s.AuthorizerAppID
		case flow.SessionFailed:
			desc += ": " + s.Error
		}
		row("last session", "%s", desc)
	}
	row("authorizers", "%d/%d healthy", ps.Authorizers.Healthy, ps.Authorizers.Total)
	if len(ps.CallsToday) > 0 {
		row("API calls today", "%s", countsText(ps.CallsToday, " "))
	} else {
		row("API calls today", "none")
	}
	if len(ps.FaultsLastHour) > 0 {
		row("WeChat faults", "%s in the last hour (retried; see the events for any that failed)", countsText(ps.FaultsLastHour, " ×"))
	}
	if ps.NextStep != "" {
		row("next", "%s", ps.NextStep)
	}
	if len(ps.events) > 0 {
		fmt.Fprintln(w, "  recent events")
		for _, ev := range ps.events {
			who := ""
			if ev.AuthorizerAppID != "" {
				who = " " + ev.AuthorizerAppID
			}
			// The remedy reads best on its own line.
			fmt.Fprintf(w, "    %s %-5s %s\n", ev.At.Format("01-02 15:04:05"), ev.Level, flow.Printable(string(ev.Kind)+who+": "+ev.Message))
			if ev.Remedy != "" {
				fmt.Fprintf(w, "      → %s\n", flow.Printable(ev.Remedy))
			}
		}
	}
}

// countsText renders counts by name in name order: "api_component_token 3, api_query_auth 1".
func countsText(counts map[string]int, sep string) string {
	names := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s%s%d", name, sep, counts[name])
	}
	return strings.Join(parts, ", ")
}
