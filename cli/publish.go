package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wxauth/core/flow"
	"wxauth/core/publish"
)

// publishCmd manages the Redis sinks `serve` (and the console) write tokens into.
func (a *app) publishCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Write tokens into the Redis keys your SDK (silenceper, WxJava, wechatpy, PowerWeChat) reads",
		Long: `Publish the tokens wxauth keeps into the Redis keys that an SDK reads its tokens from, with a
TTL that ends before the token does: the application keeps its code, finds a fresh token in its
cache every time and never refreshes on its own. ` + "`serve`" + ` (and the console) write every change within
a second, check every key every 3 minutes (a key rewritten by another program is reported as a
warning, then corrected) and delete an authorizer's key when it is revoked.

Only the process holding a platform's refresh lease writes it. The Redis URL holds a password:
it is never printed unmasked; give it as an argument, in $WXAUTH_REDIS_URL, with --url-file
(- for stdin) or at the prompt, so that it stays out of ps.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.publishAddCmd(), a.publishListCmd(), a.publishRemoveCmd(), a.publishTestCmd())
	return cmd
}

func (a *app) publishAddCmd() *cobra.Command {
	var format, prefix string
	var appids []string
	var component bool
	url := &secretInput{label: "Redis URL (redis://:PASSWORD@HOST:PORT/DB)", env: "WXAUTH_REDIS_URL", fileSet: "url-file"}
	cmd := &cobra.Command{
		Use:   "add [REDIS_URL] --format silenceper|wxjava|wechatpy|powerwechat",
		Short: "Add a Redis sink",
		Long: `Add a Redis sink. Without --appid or --component it publishes every token of the platform (or of
every platform): the component token and each authorizer's. --appid (repeatable) limits it to
those authorizers, --component adds the component token to them (or publishes only it).

--prefix is WxJava's keyPrefix (the Spring Boot starter's default is wx:open) or wechatpy's
RedisStorage prefix (default wechatpy). The PowerWeChat format also writes the ticket key, from
which PowerWeChat derives its token key.`,
		Example: `  WXAUTH_REDIS_URL='redis://:pw@10.0.0.5:6379/0' wxauth publish add --format wxjava --prefix wx:open
  wxauth publish add --url-file /etc/wxauth/redis.url --format silenceper --appid wx1234567890abcdef
  echo "$URL" | wxauth publish add --url-file - --format wechatpy --component`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := publish.ParseFormat(format)
			if err != nil {
				return usageErr("--format: %v", err)
			}
			if err := publish.CheckPrefix(f, prefix); err != nil {
				return usageErr("%v", err)
			}
			for _, id := range appids {
				if !flow.ValidAppID(id) {
					return usageErr("--appid %q is not an appid (wx followed by 16 lowercase hex digits)", id)
				}
			}
			raw, err := a.redisURL(cmd, args, url)
			if err != nil {
				return err
			}
			if _, err := publish.CheckURL(raw); err != nil {
				return usageErr("%v", err)
			}
			sink := flow.Sink{URL: raw, Format: string(f), Prefix: prefix, ComponentAppID: a.flags.platform, AppIDs: appids,
				Component: component || len(appids) == 0, Authorizers: len(appids) > 0 || !component}
			return a.addSink(cmd.Context(), sink)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "the SDK's key layout: silenceper, wxjava, wechatpy or powerwechat (required)")
	f.StringVar(&prefix, "prefix", "", "key prefix: WxJava's keyPrefix or wechatpy's RedisStorage prefix")
	f.StringArrayVar(&appids, "appid", nil, "publish only this authorizer (repeatable)")
	f.BoolVar(&component, "component", false, "publish the component token (with --appid: as well; alone: only it)")
	f.StringVar(&url.file, url.fileSet, "", "read the Redis URL from this file (owner-only; - reads stdin's first line)")
	_ = cmd.MarkFlagRequired("format")
	return cmd
}

// redisURL takes the URL from the argument, --url-file, $WXAUTH_REDIS_URL, a hidden prompt on
// a terminal, or stdin's first line, in that order.
func (a *app) redisURL(cmd *cobra.Command, args []string, s *secretInput) (string, error) {
	stdin := &stdinReader{in: a.in}
	if len(args) == 1 {
		if cmd.Flags().Changed(s.fileSet) {
			return "", usageErr("give the Redis URL as an argument or with --%s, not both", s.fileSet)
		}
		fmt.Fprintln(a.err, "wxauth: note: a Redis URL given as an argument shows in ps and the shell history; $WXAUTH_REDIS_URL or --url-file - keep its password out")
		return args[0], nil
	}
	v, given, err := a.resolveSecret(cmd, s, stdin)
	if err != nil || given {
		return v, err
	}
	if fd, tty := ttyFD(a.in); tty {
		var out string
		fmt.Fprintf(a.err, "%s: ", s.label)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(a.err)
		if err != nil {
			return "", withCode(ExitFailure, fmt.Errorf("reading the Redis URL: %w", err))
		}
		out = strings.TrimSpace(string(b))
		return out, nil
	}
	line, err := stdin.line()
	if err != nil {
		return "", withCode(ExitFailure, fmt.Errorf("reading the Redis URL from stdin: %w", err))
	}
	if line == "" {
		return "", usageErr("no Redis URL: give it as an argument, in $WXAUTH_REDIS_URL, with --url-file or on stdin")
	}
	return line, nil
}

func (a *app) addSink(ctx context.Context, s flow.Sink) error {
	eng, closeEng, err := a.openEngine(ctx, flow.MustExist)
	if err != nil {
		return err
	}
	defer closeEng()
	s, err = eng.AddSink(ctx, s)
	if err != nil {
		return engineErr(err)
	}
	publish.Silence()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	probe, perr := publish.Probe(pctx, s.URL)
	if a.flags.json {
		out := sinkJSONOf(eng.Now(), s)
		if perr != nil {
			out.LastError = perr.Error()
		}
		return jsonOut(a.out, out)
	}
	fmt.Fprintf(a.out, "sink %d added: %s into %s (%s)\n", s.ID, s.Format, publish.MaskURL(s.URL), selectionText(s))
	if perr != nil {
		fmt.Fprintf(a.err, "wxauth: warning: Redis is not reachable now: %v\n  serve keeps retrying; check the address and password, then `wxauth publish test %d`\n", perr, s.ID)
	} else {
		fmt.Fprintf(a.out, "Redis answered in %s; `wxauth serve` (or the console) writes the keys\n", probe.Latency.Round(time.Microsecond))
	}
	return nil
}

func selectionText(s flow.Sink) string {
	where := "every platform"
	if s.ComponentAppID != "" {
		where = s.ComponentAppID
	}
	var what []string
	if s.Component {
		what = append(what, "component token")
	}
	if s.Authorizers && len(s.AppIDs) == 0 {
		what = append(what, "every authorizer")
	} else if s.Authorizers {
		what = append(what, strings.Join(s.AppIDs, ", "))
	}
	pre := ""
	if s.Prefix != "" {
		pre = ", prefix " + s.Prefix
	}
	return where + ": " + strings.Join(what, " + ") + pre
}

func (a *app) publishRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a Redis sink (its keys stay until their TTL ends)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := sinkID(args[0])
			if err != nil {
				return err
			}
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			if err := eng.RemoveSink(cmd.Context(), id); err != nil {
				return engineErr(err)
			}
			if a.flags.json {
				return jsonOut(a.out, map[string]any{"removed": id})
			}
			fmt.Fprintf(a.out, "sink %d removed; the keys it wrote expire with their TTL (serve stops writing within 5 s)\n", id)
			return nil
		},
	}
}

func sinkID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErr("%q is not a sink id: `wxauth publish list` shows them", s)
	}
	return id, nil
}

func (a *app) publishTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test ID",
		Short: "Write a probe key into a sink's Redis, read it back and report the latency",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := sinkID(args[0])
			if err != nil {
				return err
			}
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			s, err := eng.Sink(cmd.Context(), id)
			if err != nil {
				return engineErr(err)
			}
			publish.Silence()
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			res, err := publish.Probe(ctx, s.URL)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("sink %d: %w\n  what to do: check that Redis runs at that address and the password and db are right; replace the sink with `wxauth publish remove %d` and `publish add`", id, err, id))
			}
			if a.flags.json {
				return jsonOut(a.out, map[string]any{"id": id, "url": res.URL, "probe_key": res.Key, "latency_ms": float64(res.Latency.Microseconds()) / 1000})
			}
			fmt.Fprintf(a.out, "sink %d: %s wrote, read back and deleted %s in %s\n", id, res.URL, res.Key, res.Latency.Round(time.Microsecond))
			return nil
		},
	}
}
