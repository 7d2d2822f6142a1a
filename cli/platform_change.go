package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// `platform update` and `platform remove`: changing a platform keeps its accounts and tokens;
// removing one says what goes and asks first.

func (a *app) platformUpdateCmd() *cobra.Command {
	var rotate bool
	addr := map[string]*string{}
	token, aesKey, secret := tokenInput(), aesKeyInput(), appSecretInput()
	cmd := &cobra.Command{
		Use:   "update [COMPONENT_APPID]",
		Short: "Change a platform's settings or secrets, keeping its accounts and tokens",
		Long: `Change some of a platform's settings: only those given change, checked like a new platform's.
Its ticket, component token, authorizers and their tokens stay.

Secrets come as for ` + "`platform add`" + `: the Token from $WXAUTH_TOKEN or --token-file, the
EncodingAESKey from $WXAUTH_AES_KEY or --aes-key-file (the value flags still work but show in ps).
To rotate the AppSecret, set $WXAUTH_APPSECRET, pass --appsecret-file, or pass --rotate-appsecret
to be asked for it (hidden) on a terminal, or to read stdin's first line otherwise.

Changing --domain moves the public URL along with it when it was on the old domain. What changed
is printed, secrets masked, with what to do next (register new values on the open platform,
restart ` + "`wxauth serve`" + ` for a new listen address).`,
		Example: `  wxauth platform update --listen 127.0.0.1:9000
  wxauth platform update wx1234567890abcdef --domain auth.example.org
  WXAUTH_TOKEN=n3wT0ken WXAUTH_AES_KEY=... wxauth platform update
  pass show wechat/appsecret | wxauth platform update --rotate-appsecret
  wxauth platform update --api-base ''    # back to https://api.weixin.qq.com`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch, err := a.updatePatch(cmd, addr, rotate, token, aesKey, secret)
			if err != nil {
				return err
			}
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			id := a.platformArg(args)
			p, changes, err := eng.PatchPlatform(cmd.Context(), id, patch)
			var fe *flow.FieldError
			switch {
			case errors.As(err, &fe):
				return usageErr("invalid %s (%s): %s", fe.Field, flagOfField[fe.Field], fe.Reason)
			case err != nil:
				return engineErr(err)
			}
			if a.flags.json {
				out := platformJSON(p, false)
				list := make([]map[string]any, len(changes))
				for i, c := range changes {
					list[i] = map[string]any{"field": c.Field, "old": c.Old, "new": c.New, "secret": c.Secret}
				}
				out["changes"] = list
				return jsonOut(a.out, out)
			}
			return a.printChanges(p, changes)
		},
	}
	f := cmd.Flags()
	token.addFlags(cmd, "a new message verification Token (消息校验Token)")
	aesKey.addFlags(cmd, "a new EncodingAESKey (消息加解密Key)")
	secret.addFlags(cmd, "")
	f.BoolVar(&rotate, "rotate-appsecret", false, "ask for a new AppSecret (hidden prompt on a terminal, else stdin's first line)")
	for _, fl := range []struct{ name, usage string }{
		{"domain", "a new 授权发起页域名: bare host[:port]"},
		{"public-url", "a new base URL through which WeChat and browsers reach the listener"},
		{"listen", "a new address for the listener to bind"},
		{"api-base", "WeChat API base URL ('' = https://api.weixin.qq.com)"},
		{"login-base", "authorization page base URL ('' = https://mp.weixin.qq.com)"},
		{"mobile-base", "mobile authorization page base URL ('' = https://open.weixin.qq.com)"},
	} {
		addr[fl.name] = f.String(fl.name, "", fl.usage)
	}
	return cmd
}

// updatePatch turns the flags given (and the secrets found) into a patch: only they change.
func (a *app) updatePatch(cmd *cobra.Command, addr map[string]*string, rotate bool, token, aesKey, secret *secretInput) (flow.PlatformPatch, error) {
	var patch flow.PlatformPatch
	given := func(name string) *string {
		if cmd.Flags().Changed(name) {
			return addr[name]
		}
		return nil
	}
	patch.AuthDomain, patch.PublicURL, patch.ListenAddr = given("domain"), given("public-url"), given("listen")
	patch.APIBase, patch.LoginBase, patch.MobileBase = given("api-base"), given("login-base"), given("mobile-base")
	stdin := &stdinReader{in: a.in}
	for _, s := range []struct {
		in  *secretInput
		dst **string
	}{{token, &patch.Token}, {aesKey, &patch.EncodingAESKey}, {secret, &patch.AppSecret}} {
		v, ok, err := a.resolveSecret(cmd, s.in, stdin)
		if err != nil {
			return patch, err
		}
		if ok {
			*s.dst = &v
		}
	}
	if rotate && patch.AppSecret == nil {
		v, err := a.askAppSecret(stdin)
		if err != nil {
			return patch, err
		}
		patch.AppSecret = &v
	}
	return patch, nil
}

// askAppSecret reads a new AppSecret: hidden and checked on a terminal, else stdin's first line.
func (a *app) askAppSecret(stdin *stdinReader) (string, error) {
	fd, tty := ttyFD(a.in)
	if !tty {
		v, err := stdin.line()
		if err != nil {
			return "", withCode(ExitFailure, fmt.Errorf("reading the appsecret from stdin: %w", err))
		}
		return v, nil
	}
	var p flow.Platform
	err := a.promptValid(fd, stdin, "new AppSecret (开发资料, input hidden)", flow.FieldAppSecret, true, &p, &p.AppSecret)
	return p.AppSecret, err
}

// printChanges lists what changed, secrets masked, and what to do about it.
func (a *app) printChanges(p flow.Platform, changes []flow.Change) error {
	if len(changes) == 0 {
		fmt.Fprintf(a.out, "platform %s: nothing changed\n", p.ComponentAppID)
		return nil
	}
	fmt.Fprintf(a.out, "platform %s updated; its accounts and tokens are kept\n", p.ComponentAppID)
	rows := make([][]string, len(changes))
	for i, c := range changes {
		rows[i] = []string{"  " + c.Field, orDash(c.Old), "→", orDash(c.New)}
	}
	if err := writeTable(a.out, rows); err != nil {
		return err
	}
	for _, n := range changeNotes(p, changes) {
		fmt.Fprintln(a.out, "  next: "+n)
	}
	return nil
}

// changeNotes says what each kind of change asks of the user.
func changeNotes(p flow.Platform, changes []flow.Change) []string {
	has := map[string]bool{}
	for _, c := range changes {
		has[c.Field] = true
	}
	var out []string
	if has[flow.FieldToken] || has[flow.FieldAESKey] {
		out = append(out, "set the same 消息校验Token / 消息加解密Key on the open platform (开发配置): pushes are checked with the new values now (a running `wxauth serve` reloads them on its next pass)")
	}
	if has[flow.FieldAuthDomain] || has[flow.FieldPublicURL] {
		out = append(out, "register 授权事件接收URL "+p.EventURL()+" and 授权发起页域名 "+p.AuthDomain+" on the open platform (开发配置)")
	}
	if has[flow.FieldListenAddr] {
		out = append(out, "restart `wxauth serve` (and the console) to listen on "+p.ListenAddr)
	}
	if has[flow.FieldAppSecret] {
		out = append(out, "the new AppSecret is used from the next component token on")
	}
	return out
}

func (a *app) platformRemoveCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "remove COMPONENT_APPID",
		Short: "Remove a platform, its accounts and tokens, after saying what goes (--yes for scripts)",
		Long: `Remove a platform: its settings, tickets, component token, authorizers with their tokens, and
authorization sessions. It first says what will be removed and asks; without a terminal, --yes
is required. The appid must be given explicitly.

Kept: the event log and the refresh-token history. Adding the same appid again says how many
refresh tokens are kept, and ` + "`wxauth authorizers import`" + ` restores the accounts, with no
merchant authorizing again.`,
		Example: `  wxauth platform remove wx1234567890abcdef
  wxauth platform remove wx1234567890abcdef --yes --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			plan, err := eng.PlanRemoval(cmd.Context(), args[0])
			if err != nil {
				return engineErr(err)
			}
			if !yes {
				if err := a.confirmRemoval(plan); err != nil {
					return err
				}
			}
			if err := eng.RemovePlatform(cmd.Context(), args[0]); err != nil {
				return engineErr(err)
			}
			if a.flags.json {
				return jsonOut(a.out, map[string]any{"component_appid": args[0], "removed": true,
					"authorizers": plan.Authorizers, "access_tokens": plan.AccessTokens,
					"kept_refresh_tokens": plan.Kept.Tokens, "kept_accounts": plan.Kept.Accounts})
			}
			fmt.Fprintf(a.out, "platform %s removed (%s)\n", args[0], removalWhat(plan))
			if plan.Kept.Tokens > 0 {
				fmt.Fprintf(a.out, "  kept: %s of %s; adding %s again offers them back (`wxauth authorizers import`)\n",
					count(plan.Kept.Tokens, "refresh token"), count(plan.Kept.Accounts, "account"), args[0])
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "remove without asking (for scripts)")
	return cmd
}

// removalWhat lists what removing deletes: "3 authorizers with 3 access tokens, the ticket, the component token".
func removalWhat(r flow.Removal) string {
	parts := []string{count(r.Authorizers, "authorizer") + " with " + count(r.AccessTokens, "access token")}
	if r.HasTicket {
		parts = append(parts, "its tickets")
	}
	if r.HasComponentToken {
		parts = append(parts, "the component token")
	}
	return strings.Join(parts, ", ")
}

// confirmRemoval says what will go and asks on the terminal; without one, --yes is required.
func (a *app) confirmRemoval(r flow.Removal) error {
	what := fmt.Sprintf("platform %s (%s): %s, and its authorization sessions", r.Platform.ComponentAppID, r.Platform.AuthDomain, removalWhat(r))
	if _, tty := ttyFD(a.in); !tty {
		return usageErr("removing deletes %s; not confirmed\n  what to do: pass --yes to remove without asking (scripts), or run it on a terminal to be asked", what)
	}
	fmt.Fprintf(a.err, "This removes %s.\n", what)
	fmt.Fprintf(a.err, "Kept: the event log and the refresh-token history (%s of %s), offered back if the platform is added again.\n",
		count(r.Kept.Tokens, "refresh token"), count(r.Kept.Accounts, "account"))
	fmt.Fprint(a.err, "Remove it? [y/N] ")
	answer, err := (&stdinReader{in: a.in}).line()
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("reading the answer: %w", err))
	}
	if a := strings.ToLower(answer); a != "y" && a != "yes" {
		return withCode(ExitFailure, errors.New("not removed"))
	}
	return nil
}

// count is n with its noun: "1 authorizer", "3 authorizers".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
