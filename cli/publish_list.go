package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/core/publish"
)

// sinkJSON is a sink as `publish list --json` and `status --json` show it: the URL masked.
type sinkJSON struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Format         string   `json:"format"`
	Prefix         string   `json:"prefix,omitempty"`
	ComponentAppID string   `json:"component_appid,omitempty"`
	AppIDs         []string `json:"appids,omitempty"`
	Component      bool     `json:"component"`
	Authorizers    bool     `json:"authorizers"`
	State          string   `json:"state"` // ok, failing, waiting (no process has published yet)
	ReportedAt     any      `json:"reported_at"`
	Writer         string   `json:"writer,omitempty"`
	LastWriteAt    any      `json:"last_write_at"`
	LagMillis      int64    `json:"lag_ms"`
	Pending        int      `json:"pending"`
	Keys           int      `json:"keys"`
	LastError      string   `json:"last_error,omitempty"`
	LastErrorAt    any      `json:"last_error_at"`
	ForeignKey     string   `json:"foreign_key,omitempty"`
	ForeignAt      any      `json:"foreign_at"`
}

func sinkJSONOf(now time.Time, s flow.Sink) sinkJSON {
	h := s.Health
	return sinkJSON{ID: s.ID, URL: publish.MaskURL(s.URL), Format: s.Format, Prefix: s.Prefix, ComponentAppID: s.ComponentAppID,
		AppIDs: s.AppIDs, Component: s.Component, Authorizers: s.Authorizers, State: publish.State(now, h),
		ReportedAt: timeJSON(h.At), Writer: h.Writer, LastWriteAt: timeJSON(h.LastWriteAt), LagMillis: h.Lag.Milliseconds(),
		Pending: h.Pending, Keys: h.Keys, LastError: h.LastError, LastErrorAt: timeJSON(h.LastErrorAt),
		ForeignKey: h.ForeignKey, ForeignAt: timeJSON(h.ForeignAt)}
}

func (a *app) publishListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the Redis sinks and their health (last write, lag, last error)",
		Long: `List the Redis sinks, their URL with the password masked, and the health the publishing process
(the refresh lease holder: serve or a console) last reported: state, last write, lag, keys
written, last error, and the last key found rewritten by another program.`,
		Example: `  wxauth publish list
  wxauth publish list --json | jq '.sinks[] | {id, state, lag_ms}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			sinks, err := eng.Sinks(cmd.Context())
			if err != nil {
				return engineErr(err)
			}
			now := eng.Now()
			if a.flags.json {
				out := []sinkJSON{}
				for _, s := range sinks {
					out = append(out, sinkJSONOf(now, s))
				}
				return jsonOut(a.out, map[string]any{"sinks": out})
			}
			if len(sinks) == 0 {
				fmt.Fprintln(a.out, "no Redis sink: add one with `wxauth publish add REDIS_URL --format …`")
				return nil
			}
			for _, s := range sinks {
				writeSink(a.out, now, s, "")
			}
			return nil
		},
	}
}

// writeSink prints a sink and its health, indented.
func writeSink(w io.Writer, now time.Time, s flow.Sink, indent string) {
	h := s.Health
	state := publish.State(now, h)
	fmt.Fprintf(w, "%ssink %d  %-11s %s  %s\n", indent, s.ID, s.Format, publish.MaskURL(s.URL), state)
	fmt.Fprintf(w, "%s  %s\n", indent, flow.Printable(selectionText(s)))
	if h.At.IsZero() {
		fmt.Fprintf(w, "%s  no process has published to it yet: run `wxauth serve` (or the console)\n", indent)
		return
	}
	fmt.Fprintf(w, "%s  last write %s, lag %s, %d keys, %d waiting (reported %s)\n", indent, agoText(now, h.LastWriteAt),
		h.Lag.Round(time.Millisecond), h.Keys, h.Pending, agoText(now, h.At))
	if h.LastError != "" {
		fmt.Fprintf(w, "%s  last error %s: %s\n", indent, agoText(now, h.LastErrorAt), flow.Printable(h.LastError))
	}
	if h.ForeignKey != "" {
		fmt.Fprintf(w, "%s  ! %s another program wrote %s: %s\n", indent, agoText(now, h.ForeignAt), flow.Printable(h.ForeignKey), publish.ForeignRemedy)
	}
}
