package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// authorizeCmd is long for its help text; the work is in the engine's runner (flow.Run).
func (a *app) authorizeCmd() *cobra.Command {
	var (
		mobile, noBrowser bool
		authType          int
		bizAppID          string
		categoryIDs       string
		code              string
		timeout           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "authorize [--mobile] [--auth-type N] [--biz-appid A] [--category-ids 1,2] [--no-browser] [--code CODE_OR_URL] [--timeout 10m]",
		Short: "Onboard an account: open the authorization page and wait for the merchant to approve",
		Long: `Start an authorization: create a pre_auth_code (single use), print the launch page on the
registered 授权发起页域名 and open it in a browser. The merchant scans the QR code and approves;
the code arrives by whichever comes first:
  - the redirect to PUBLIC_URL/wechat/auth/callback,
  - the ` + "`authorized`" + ` push to PUBLIC_URL/wechat/events,
  - the address you paste here (on a terminal) after approving: the whole URL or the
    queryauthcode@@@… value.
It is then exchanged (api_query_auth), stored, and the account's info fetched. A code WeChat
refuses (a typo in a paste, a made-up auth_code sent to the callback) is explained and the
wait goes on: only the merchant's genuine code uses up the authorization.

The listener must be reachable at the public URL for the first two: if nothing listens on the
platform's listen address, one is started for the duration of the command; if the address is
busy, ` + "`wxauth serve`" + ` is assumed to be running there.

--code finishes an authorization with a code or URL you already have, without waiting.
--auth-type: 1 official accounts, 2 mini programs, 3 both (WeChat's other values pass through).

Exit status 3 when the time runs out or the merchant's approval failed (start again: each
pre_auth_code works once).`,
		Example: `  wxauth authorize
  wxauth authorize --mobile --auth-type 2 --no-browser   # print both links, open nothing
  wxauth authorize --biz-appid wxba5fad812f8e6fb9         # re-authorize one account
  wxauth authorize --code 'https://auth.example.com/wechat/auth/callback?session=…&auth_code=queryauthcode@@@…'
  wxauth authorize --json --timeout 30m | jq .authorizer_appid`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := authOptions(authType, bizAppID, categoryIDs)
			if err != nil {
				return err
			}
			if timeout <= 0 {
				return usageErr("--timeout must be positive, got %s", timeout)
			}
			eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
			if err != nil {
				return err
			}
			defer closeEng()
			ctx := cmd.Context()
			p, err := a.platformFor(ctx, eng)
			if err != nil {
				return err
			}
			if code != "" {
				au, err := eng.AuthorizeWithCode(ctx, p.ComponentAppID, code)
				if err != nil {
					return engineErr(err)
				}
				return a.printAuthorized(eng.Now(), au, flow.SourcePaste)
			}
			run, err := eng.RunAuthorization(ctx, p.ComponentAppID, opts, flow.RunOptions{Listen: true, OpenBrowser: !noBrowser})
			if err != nil {
				return engineErr(err)
			}
			defer run.Stop() // before the database closes, so the listener stops first
			a.announce(eng.Now(), run, mobile)
			return a.awaitAuthorization(ctx, eng, run, timeout)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&mobile, "mobile", false, "also print the mobile link (to open inside WeChat)")
	f.IntVar(&authType, "auth-type", 0, "accounts offered: 1 official accounts, 2 mini programs, 3 both (default: WeChat's)")
	f.StringVar(&bizAppID, "biz-appid", "", "restrict the authorization to this account")
	f.StringVar(&categoryIDs, "category-ids", "", "permission sets to request, comma-separated (default: all released)")
	f.BoolVar(&noBrowser, "no-browser", false, "print the launch page but do not open a browser")
	f.StringVar(&code, "code", "", "finish with this auth code or redirected URL instead of waiting")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the merchant")
	return cmd
}

// authOptions checks the flags that shape the authorization links.
func authOptions(authType int, bizAppID, categoryIDs string) (flow.AuthOptions, error) {
	opts := flow.AuthOptions{AuthType: authType, BizAppID: bizAppID}
	if authType < 0 {
		return opts, usageErr("--auth-type must be positive, got %d", authType)
	}
	if bizAppID != "" && !flow.ValidAppID(bizAppID) {
		return opts, usageErr("--biz-appid %q is not an appid (wx followed by 16 lowercase hex digits)", bizAppID)
	}
	ids, err := flow.ParseCategoryIDs(categoryIDs)
	if err != nil {
		return opts, usageErr("--category-ids must be permission-set ids separated by commas, e.g. 1,17: %v", err)
	}
	if len(ids) > 0 {
		opts.CategoryIDs = ids
	}
	return opts, nil
}

// announce tells the user where to send the merchant and what became of the listener and the
// browser.
func (a *app) announce(now time.Time, run *flow.Run, mobile bool) {
	fmt.Fprintf(a.err, "Open this page on a computer and scan the QR code with the merchant's WeChat:\n  %s\n", run.LaunchURL)
	if mobile {
		fmt.Fprintf(a.err, "Or open this link inside WeChat on the merchant's phone:\n  %s\n", run.Session.MobileLink)
	}
	fmt.Fprintf(a.err, "The pre_auth_code is single use and expires %s.\n", untilText(now, run.Session.PreAuthExpiresAt))
	fmt.Fprintln(a.err, run.ListenNote)
	if run.BrowserErr != nil {
		fmt.Fprintf(a.err, "note: %v\n", run.BrowserErr)
	}
}

// awaitAuthorization waits for the run's outcome, feeding it what the user pastes on a terminal.
func (a *app) awaitAuthorization(ctx context.Context, eng *flow.Engine, run *flow.Run, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, tty := ttyFD(a.in); tty {
		fmt.Fprintln(a.err, "Waiting… or paste the address the browser shows after approving, then Enter:")
		go a.readPastes(wctx, run)
	} else {
		fmt.Fprintln(a.err, "Waiting for the merchant to approve…")
	}
	var r flow.RunResult
	select {
	case r = <-run.Done():
	case <-wctx.Done():
		r.Err = wctx.Err()
	}
	switch {
	case r.Err == nil:
		return a.printAuthorized(eng.Now(), r.Authorizer, r.Source)
	case errors.Is(r.Err, context.DeadlineExceeded) && ctx.Err() == nil:
		return withCode(ExitWaiting, fmt.Errorf("no approval within %s\n  what to do: run `wxauth authorize` again (each pre_auth_code works once), or finish with `wxauth authorize --code URL` if the merchant approved", timeout))
	case ctx.Err() != nil:
		return withCode(ExitFailure, fmt.Errorf("interrupted while waiting for the merchant"))
	}
	return engineErr(r.Err)
}

// readPastes reads lines from the terminal until one completes the authorization. A line that
// is not a code gets a note and another chance.
func (a *app) readPastes(ctx context.Context, run *flow.Run) {
	sc := bufio.NewScanner(a.in)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		err := run.Paste(ctx, line)
		if err == nil || ctx.Err() != nil {
			return
		}
		fmt.Fprintf(a.err, "note: %v\nPaste again, or keep waiting:\n", err)
	}
}

func (a *app) printAuthorized(now time.Time, au flow.Authorizer, source string) error {
	if a.flags.json {
		j := toAuthorizerJSON(au)
		return jsonOut(a.out, struct {
			authorizerJSON
			Source string `json:"source"`
		}{j, source})
	}
	name := au.NickName
	if name == "" {
		name = au.AppID
	} else {
		name += " (" + au.AppID + ")"
	}
	fmt.Fprintf(a.out, "authorized: %s\n", name)
	fmt.Fprintf(a.out, "  kind         %s\n", orDash(au.Kind))
	fmt.Fprintf(a.out, "  status       %s\n", au.Status)
	fmt.Fprintf(a.out, "  permissions  %s\n", flow.FuncNames(au.FuncInfo))
	fmt.Fprintf(a.out, "  token        expires %s\n", untilText(now, au.AccessExpiresAt))
	fmt.Fprintf(a.out, "  code from    %s\n", source)
	return nil
}
