package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"wxauth/core/flow"
)

func (a *app) platformCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "platform",
		Short: "Add, list, show or remove third-party platforms (component appids)",
		Long: `A platform is one third-party platform (第三方平台) of the WeChat Open Platform: its AppID and
AppSecret, the message Token and EncodingAESKey, the 授权发起页域名 (auth domain), the public URL
through which WeChat reaches wxauth's listener, and the address the listener binds.`,
		Example: `  WXAUTH_APPSECRET=... wxauth platform add --appid wx1234567890abcdef --token T \
    --aes-key K --domain auth.example.com --listen 127.0.0.1:8765
  wxauth platform list
  wxauth platform show --platform wx1234567890abcdef --reveal`,
	}
	cmd.AddCommand(a.platformAddCmd(), a.platformListCmd(), a.platformShowCmd(), a.platformRemoveCmd())
	return cmd
}

// flagOfField maps flow.FieldError fields to the flag that sets them.
var flagOfField = map[string]string{
	"component appid": "--appid", "appsecret": "WXAUTH_APPSECRET", "token": "--token",
	"EncodingAESKey": "--aes-key", "auth domain": "--domain", "listen address": "--listen",
	"public URL": "--public-url", "API base": "--api-base", "login base": "--login-base",
	"mobile base": "--mobile-base",
}

func (a *app) platformAddCmd() *cobra.Command {
	var p flow.Platform
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a platform (the appsecret comes from $WXAUTH_APPSECRET, a hidden prompt or stdin)",
		Long: `Add a platform. Values come from the open platform's 开发资料 and 开发配置 pages.

The AppSecret is never taken from a flag (flags show in ps and shell history): it is read from
$WXAUTH_APPSECRET, else from a hidden prompt when stdin is a terminal, else from the first line
of stdin. On a terminal, missing flags are prompted for too (Token and EncodingAESKey hidden).

--public-url defaults to https://DOMAIN: WeChat requires the launch page and the redirect on the
registered auth domain, so its host must equal --domain. --listen defaults to 127.0.0.1:8765;
expose it at the public URL through a tunnel or a reverse proxy.`,
		Example: `  # secret from the environment
  WXAUTH_APPSECRET=0123456789abcdef0123456789abcdef wxauth platform add \
    --appid wx1234567890abcdef --token mytoken \
    --aes-key abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG --domain auth.example.com

  # secret from a password manager, through stdin
  pass show wechat/appsecret | wxauth platform add --appid wx1234567890abcdef ...

  # a tunnel: public URL on the tunnel's host, listener on loopback
  wxauth platform add ... --domain abc.trycloudflare.com --listen 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fd, tty := ttyFD(a.in)
			if tty {
				if err := a.promptMissing(fd, &p); err != nil {
					return err
				}
			}
			secret, err := a.readSecret(fd, tty)
			if err != nil {
				return err
			}
			p.AppSecret = secret
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.CreateIfMissing)
			if err != nil {
				return err
			}
			defer closeEng()
			added, err := eng.AddPlatform(cmd.Context(), p)
			var fe *flow.FieldError
			switch {
			case errors.As(err, &fe):
				return usageErr("invalid %s (%s): %s", fe.Field, flagOfField[fe.Field], fe.Reason)
			case flow.IsExisting(err):
				return withCode(ExitFailure, fmt.Errorf("%w\n  what to do: `wxauth platform show --platform %s` shows it; remove it first to replace it", err, p.ComponentAppID))
			case err != nil:
				return engineErr(err)
			}
			if a.g.json {
				return jsonOut(a.out, platformJSON(added, false))
			}
			fmt.Fprintf(a.out, "platform %s added\n", added.ComponentAppID)
			fmt.Fprintf(a.out, "  register on the open platform (开发配置):\n")
			fmt.Fprintf(a.out, "    授权事件接收URL  %s/wechat/events\n", added.PublicURL)
			fmt.Fprintf(a.out, "    授权发起页域名   %s\n", added.AuthDomain)
			fmt.Fprintf(a.out, "  and this machine's public egress IP in 白名单IP地址列表 (开发资料)\n")
			fmt.Fprintf(a.out, "  listener binds %s; it must be reachable at %s\n", added.ListenAddr, added.PublicURL)
			fmt.Fprintf(a.out, "  next: `wxauth serve`, then wait for the first ticket (`wxauth ticket push` asks for one)\n")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.ComponentAppID, "appid", "", "the platform's AppID (wx + 16 hex digits)")
	f.StringVar(&p.Token, "token", "", "the message verification Token (消息校验Token)")
	f.StringVar(&p.EncodingAESKey, "aes-key", "", "the 43-character EncodingAESKey (消息加解密Key)")
	f.StringVar(&p.AuthDomain, "domain", "", "the 授权发起页域名: bare host[:port], no scheme or path")
	f.StringVar(&p.PublicURL, "public-url", "", "base URL through which WeChat and browsers reach the listener (default https://DOMAIN)")
	f.StringVar(&p.ListenAddr, "listen", "", "address the listener binds (default "+flow.DefaultListenAddr+")")
	f.StringVar(&p.APIBase, "api-base", "", "WeChat API base URL (default https://api.weixin.qq.com; the simulator's URL for offline use)")
	f.StringVar(&p.LoginBase, "login-base", "", "authorization page base URL (default https://mp.weixin.qq.com)")
	f.StringVar(&p.MobileBase, "mobile-base", "", "mobile authorization page base URL (default https://open.weixin.qq.com)")
	return cmd
}

// promptMissing asks on the terminal for the fields not given as flags.
func (a *app) promptMissing(fd int, p *flow.Platform) error {
	fields := []struct {
		label  string
		dst    *string
		hidden bool
	}{
		{"AppID (开发资料)", &p.ComponentAppID, false},
		{"Token (消息校验Token)", &p.Token, true},
		{"EncodingAESKey (消息加解密Key)", &p.EncodingAESKey, true},
		{"授权发起页域名 (host, e.g. auth.example.com)", &p.AuthDomain, false},
	}
	var lines *bufio.Reader
	for _, fl := range fields {
		if *fl.dst != "" {
			continue
		}
		fmt.Fprintf(a.err, "%s: ", fl.label)
		if fl.hidden {
			b, err := term.ReadPassword(fd)
			fmt.Fprintln(a.err)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("reading %s: %w", fl.label, err))
			}
			*fl.dst = strings.TrimSpace(string(b))
			continue
		}
		if lines == nil {
			lines = bufio.NewReader(a.in)
		}
		s, err := lines.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return withCode(ExitFailure, fmt.Errorf("reading %s: %w", fl.label, err))
		}
		*fl.dst = strings.TrimSpace(s)
	}
	return nil
}

// readSecret gets the appsecret from $WXAUTH_APPSECRET, a hidden prompt, or stdin's first line.
func (a *app) readSecret(fd int, tty bool) (string, error) {
	if s := os.Getenv("WXAUTH_APPSECRET"); s != "" {
		return strings.TrimSpace(s), nil
	}
	if tty {
		fmt.Fprint(a.err, "AppSecret (开发资料, input hidden): ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(a.err)
		if err != nil {
			return "", withCode(ExitFailure, fmt.Errorf("reading the appsecret: %w", err))
		}
		return strings.TrimSpace(string(b)), nil
	}
	// Only the first line: the rest of stdin is not ours to swallow.
	s, err := bufio.NewReader(a.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", withCode(ExitFailure, fmt.Errorf("reading the appsecret from stdin: %w", err))
	}
	return strings.TrimSpace(s), nil
}

func (a *app) platformListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the configured platforms (secrets masked)",
		Example: `  wxauth platform list
  wxauth platform list --json | jq -r '.[].component_appid'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			ps, err := eng.Platforms(cmd.Context())
			if err != nil {
				return engineErr(err)
			}
			if a.g.json {
				out := make([]map[string]any, len(ps))
				for i, p := range ps {
					out[i] = platformJSON(p, false)
				}
				return jsonOut(a.out, out)
			}
			if len(ps) == 0 {
				fmt.Fprintln(a.err, "no platform is configured; add one with `wxauth platform add`, or try `wxauth demo`")
				return nil
			}
			rows := [][]string{{"COMPONENT APPID", "AUTH DOMAIN", "PUBLIC URL", "LISTEN", "API", "ADDED"}}
			for _, p := range ps {
				api := p.APIBase
				if api == "" {
					api = "WeChat"
				}
				rows = append(rows, []string{p.ComponentAppID, p.AuthDomain, p.PublicURL, p.ListenAddr, api,
					p.CreatedAt.Format("2006-01-02 15:04")})
			}
			return writeTable(a.out, rows)
		},
	}
}

func (a *app) platformShowCmd() *cobra.Command {
	var reveal bool
	cmd := &cobra.Command{
		Use:   "show [COMPONENT_APPID]",
		Short: "Show one platform's settings (secrets masked unless --reveal)",
		Example: `  wxauth platform show
  wxauth platform show wx1234567890abcdef --reveal
  wxauth platform show --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			id := a.g.platform
			if len(args) == 1 {
				id = args[0]
			}
			p, err := eng.Platform(cmd.Context(), id)
			if err != nil {
				return engineErr(err)
			}
			if a.g.json {
				return jsonOut(a.out, platformJSON(p, reveal))
			}
			secret := func(s string) string {
				if reveal {
					return s
				}
				return flow.Mask(s)
			}
			def := func(s, d string) string {
				if s == "" {
					return d + " (default)"
				}
				return s
			}
			rows := [][]string{
				{"component appid", p.ComponentAppID},
				{"appsecret", secret(p.AppSecret)},
				{"token", secret(p.Token)},
				{"EncodingAESKey", secret(p.EncodingAESKey)},
				{"auth domain (授权发起页域名)", p.AuthDomain},
				{"public URL", p.PublicURL},
				{"event URL (授权事件接收URL)", p.PublicURL + "/wechat/events"},
				{"listen address", p.ListenAddr},
				{"API base", def(p.APIBase, "https://api.weixin.qq.com")},
				{"login base", def(p.LoginBase, "https://mp.weixin.qq.com")},
				{"mobile base", def(p.MobileBase, "https://open.weixin.qq.com")},
				{"added", p.CreatedAt.Format(time.RFC3339)},
			}
			if !reveal {
				rows = append(rows, []string{"", "(secrets masked; --reveal shows them)"})
			}
			return writeTable(a.out, rows)
		},
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show the appsecret, Token and EncodingAESKey in full")
	return cmd
}

func (a *app) platformRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove COMPONENT_APPID",
		Short: "Remove a platform and its current credentials (the event log and refresh-token history stay)",
		Long: `Remove a platform: its settings, ticket, component token, authorizers and sessions. The audit
log and the refresh-token history are kept. The appid must be given explicitly.`,
		Example: `  wxauth platform remove wx1234567890abcdef`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			if _, err := eng.Platform(cmd.Context(), args[0]); err != nil {
				return engineErr(err)
			}
			if err := eng.RemovePlatform(cmd.Context(), args[0]); err != nil {
				return engineErr(err)
			}
			if a.g.json {
				return jsonOut(a.out, map[string]any{"component_appid": args[0], "removed": true})
			}
			fmt.Fprintf(a.out, "platform %s removed\n", args[0])
			return nil
		},
	}
}

// platformJSON is a platform for --json output, secrets masked unless reveal.
func platformJSON(p flow.Platform, reveal bool) map[string]any {
	secret := flow.Mask
	if reveal {
		secret = func(s string) string { return s }
	}
	return map[string]any{
		"component_appid":  p.ComponentAppID,
		"appsecret":        secret(p.AppSecret),
		"token":            secret(p.Token),
		"encoding_aes_key": secret(p.EncodingAESKey),
		"auth_domain":      p.AuthDomain,
		"public_url":       p.PublicURL,
		"event_url":        p.PublicURL + "/wechat/events",
		"listen_addr":      p.ListenAddr,
		"api_base":         p.APIBase,
		"login_base":       p.LoginBase,
		"mobile_base":      p.MobileBase,
		"created_at":       timeJSON(p.CreatedAt),
		"secrets_masked":   !reveal,
	}
}

// Helpers shared by the headless commands.

// platformFor resolves --platform (or the only platform) for commands acting on one.
func (a *app) platformFor(ctx context.Context, eng *flow.Engine) (flow.Platform, error) {
	p, err := eng.Platform(ctx, a.g.platform)
	if err != nil {
		return p, engineErr(err)
	}
	return p, nil
}
