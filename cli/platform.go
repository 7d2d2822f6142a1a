package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) platformCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "platform",
		Short: "Add, list, show, update or remove third-party platforms (component appids)",
		Long: `A platform is one third-party platform (第三方平台) of the WeChat Open Platform: its AppID and
AppSecret, the message Token and EncodingAESKey, the 授权发起页域名 (auth domain), the public URL
through which WeChat reaches wxauth's listener, and the address the listener binds.`,
		Example: `  WXAUTH_APPSECRET=... WXAUTH_TOKEN=... WXAUTH_AES_KEY=... wxauth platform add \
    --appid wx1234567890abcdef --domain auth.example.com --listen 127.0.0.1:8765
  wxauth platform list
  wxauth platform show --platform wx1234567890abcdef --reveal
  wxauth platform update --listen 127.0.0.1:9000
  wxauth platform remove wx1234567890abcdef`,
	}
	cmd.AddCommand(a.platformAddCmd(), a.platformListCmd(), a.platformShowCmd(), a.platformUpdateCmd(), a.platformRemoveCmd())
	return cmd
}

// flagOfField maps flow.FieldError fields to where their value comes from (a read-only table;
// the secrets' sources are their secretInput's).
var flagOfField = map[string]string{
	flow.FieldAppID: "--appid", flow.FieldAppSecret: appSecretInput().sources(),
	flow.FieldToken: tokenInput().sources(), flow.FieldAESKey: aesKeyInput().sources(),
	flow.FieldAuthDomain: "--domain", flow.FieldListenAddr: "--listen", flow.FieldPublicURL: "--public-url",
	flow.FieldAPIBase: "--api-base", flow.FieldLoginBase: "--login-base", flow.FieldMobileBase: "--mobile-base",
}

func (a *app) platformAddCmd() *cobra.Command {
	var p flow.Platform
	token, aesKey, secret := tokenInput(), aesKeyInput(), appSecretInput()
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a platform (secrets from the environment, files, hidden prompts or stdin)",
		Long: `Add a platform. Values come from the open platform's 开发资料 and 开发配置 pages.

Secrets never need to be on the command line (flags show in ps and the shell history):
  AppSecret       $WXAUTH_APPSECRET, --appsecret-file FILE, a hidden prompt, or stdin's first line
  Token           $WXAUTH_TOKEN, --token-file FILE, or a hidden prompt (--token still works)
  EncodingAESKey  $WXAUTH_AES_KEY, --aes-key-file FILE, or a hidden prompt (--aes-key still works)
A file is read up to its first newline; "-" reads stdin's first line instead (one secret only).
wxauth warns when such a file is readable by others. On a terminal, every missing value is asked
for and checked as it is typed: an invalid one is explained and asked for again.

--public-url defaults to https://DOMAIN: WeChat requires the launch page and the redirect on the
registered auth domain, so its host must equal --domain. --listen defaults to 127.0.0.1:8765;
expose it at the public URL through a tunnel or a reverse proxy.

Adding a platform that was removed before says how many refresh tokens of its earlier accounts
are kept; ` + "`wxauth authorizers import`" + ` brings those accounts back once a ticket has arrived.`,
		Example: `  # secrets from the environment
  WXAUTH_APPSECRET=0123456789abcdef0123456789abcdef WXAUTH_TOKEN=mytoken \
  WXAUTH_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG \
    wxauth platform add --appid wx1234567890abcdef --domain auth.example.com

  # secrets from owner-only files, the AppSecret from a password manager through stdin
  pass show wechat/appsecret | wxauth platform add --appid wx1234567890abcdef \
    --token-file ~/.wxauth/token --aes-key-file ~/.wxauth/aeskey --domain auth.example.com

  # a tunnel: public URL on the tunnel's host, listener on loopback
  wxauth platform add ... --domain abc.trycloudflare.com --listen 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.platformValues(cmd, &p, token, aesKey, secret); err != nil {
				return err
			}
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
				return withCode(ExitFailure, fmt.Errorf("%w\n  what to do: `wxauth platform show --platform %s` shows it; `wxauth platform update` changes it", err, p.ComponentAppID))
			case err != nil:
				return engineErr(err)
			}
			kept, err := eng.KeptRefreshTokens(cmd.Context(), added.ComponentAppID, true)
			if err != nil {
				return engineErr(err)
			}
			if a.flags.json {
				out := platformJSON(added, false)
				out["kept_refresh_tokens"], out["kept_accounts"] = kept.Tokens, kept.Accounts
				return jsonOut(a.out, out)
			}
			a.printAdded(added, kept)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.ComponentAppID, "appid", "", "the platform's AppID (wx + 16 hex digits)")
	token.addFlags(cmd, "the message verification Token (消息校验Token)")
	aesKey.addFlags(cmd, "the 43-character EncodingAESKey (消息加解密Key)")
	secret.addFlags(cmd, "")
	f.StringVar(&p.AuthDomain, "domain", "", "the 授权发起页域名: bare host[:port], no scheme or path")
	f.StringVar(&p.PublicURL, "public-url", "", "base URL through which WeChat and browsers reach the listener (default https://DOMAIN)")
	f.StringVar(&p.ListenAddr, "listen", "", "address the listener binds (default "+flow.DefaultListenAddr+")")
	f.StringVar(&p.APIBase, "api-base", "", "WeChat API base URL (default https://api.weixin.qq.com; the simulator's URL for offline use)")
	f.StringVar(&p.LoginBase, "login-base", "", "authorization page base URL (default https://mp.weixin.qq.com)")
	f.StringVar(&p.MobileBase, "mobile-base", "", "mobile authorization page base URL (default https://open.weixin.qq.com)")
	return cmd
}

// printAdded tells what to register on the open platform, and what is kept from before.
func (a *app) printAdded(added flow.Platform, kept flow.KeptHistory) {
	fmt.Fprintf(a.out, "platform %s added\n", added.ComponentAppID)
	fmt.Fprintf(a.out, "  register on the open platform (开发配置):\n")
	fmt.Fprintf(a.out, "    授权事件接收URL  %s\n", added.EventURL())
	fmt.Fprintf(a.out, "    消息与事件接收URL %s\n", added.MessageURL())
	fmt.Fprintf(a.out, "    授权发起页域名   %s\n", added.AuthDomain)
	fmt.Fprintf(a.out, "  and this machine's public egress IP in 白名单IP地址列表 (开发资料)\n")
	fmt.Fprintf(a.out, "  listener binds %s; it must be reachable at %s\n", added.ListenAddr, added.PublicURL)
	if kept.Tokens > 0 {
		verb := "are"
		if kept.Tokens == 1 {
			verb = "is"
		}
		fmt.Fprintf(a.out, "  %s of earlier authorizations (%s) %s kept from when this platform was here before;\n",
			count(kept.Tokens, "refresh token"), count(kept.Accounts, "account"), verb)
		fmt.Fprintf(a.out, "  `wxauth authorizers import` restores the accounts once a ticket has arrived (no merchant authorizes again)\n")
	}
	fmt.Fprintf(a.out, "  next: `wxauth serve`, then wait for the first ticket (`wxauth ticket push` asks for one)\n")
}

// platformValues gathers a new platform's secrets (environment, files, stdin) and, on a
// terminal, asks for whatever is still missing, checking each value as it is typed.
func (a *app) platformValues(cmd *cobra.Command, p *flow.Platform, token, aesKey, secret *secretInput) error {
	stdin := &stdinReader{in: a.in}
	for _, s := range []struct {
		in  *secretInput
		dst *string
	}{{token, &p.Token}, {aesKey, &p.EncodingAESKey}, {secret, &p.AppSecret}} {
		v, given, err := a.resolveSecret(cmd, s.in, stdin)
		if err != nil {
			return err
		}
		if given {
			*s.dst = v
		}
	}
	fd, tty := ttyFD(a.in)
	if tty {
		return a.promptMissing(fd, stdin, p)
	}
	if p.AppSecret == "" && stdin.taken == "" {
		// Only the first line: the rest of stdin is not ours to swallow.
		v, err := stdin.line()
		if err != nil {
			return withCode(ExitFailure, fmt.Errorf("reading the appsecret from stdin: %w", err))
		}
		p.AppSecret = v
	}
	return nil
}

// promptMissing asks on the terminal for the values not given, each checked as it is typed.
func (a *app) promptMissing(fd int, stdin *stdinReader, p *flow.Platform) error {
	fields := []struct {
		label, field string
		dst          *string
		hidden       bool
	}{
		{"AppID (开发资料)", flow.FieldAppID, &p.ComponentAppID, false},
		{"Token (消息校验Token)", flow.FieldToken, &p.Token, true},
		{"EncodingAESKey (消息加解密Key)", flow.FieldAESKey, &p.EncodingAESKey, true},
		{"授权发起页域名 (host, e.g. auth.example.com)", flow.FieldAuthDomain, &p.AuthDomain, false},
		{"AppSecret (开发资料, input hidden)", flow.FieldAppSecret, &p.AppSecret, true},
	}
	for _, fl := range fields {
		if *fl.dst != "" {
			continue
		}
		if err := a.promptValid(fd, stdin, fl.label, fl.field, fl.hidden, p, fl.dst); err != nil {
			return err
		}
	}
	return nil
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
			if a.flags.json {
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
			id := a.platformArg(args)
			p, err := eng.Platform(cmd.Context(), id)
			if err != nil {
				return engineErr(err)
			}
			if a.flags.json {
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
				{"message URL (消息与事件接收URL)", p.MessageURL()},
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
		"message_url":      p.MessageURL(),
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
	p, err := eng.Platform(ctx, a.flags.platform)
	if err != nil {
		return p, engineErr(err)
	}
	return p, nil
}

// platformArg is the platform a command names: its argument, else --platform.
func (a *app) platformArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return a.flags.platform
}
