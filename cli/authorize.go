package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
	"wxauth/storage"
)

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
It is then exchanged (api_query_auth), stored, and the account's info fetched.

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
			opts := flow.AuthOptions{AuthType: authType, BizAppID: bizAppID}
			if authType < 0 {
				return usageErr("--auth-type must be positive, got %d", authType)
			}
			if bizAppID != "" && !flow.ValidAppID(bizAppID) {
				return usageErr("--biz-appid %q is not an appid (wx followed by 16 lowercase hex digits)", bizAppID)
			}
			if categoryIDs != "" {
				for _, f := range strings.Split(categoryIDs, ",") {
					id, err := strconv.Atoi(strings.TrimSpace(f))
					if err != nil || id <= 0 {
						return usageErr("--category-ids must be comma-separated permission-set ids, e.g. 1,17; %q is not one", f)
					}
					opts.CategoryIDs = append(opts.CategoryIDs, id)
				}
			}
			if timeout <= 0 {
				return usageErr("--timeout must be positive, got %s", timeout)
			}
			eng, closeEng, err := a.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeEng()
			// Cancelled before the database closes, so the listener stops first.
			ctx, cancel := context.WithCancel(cmd.Context())
			var listening <-chan error
			defer func() {
				cancel()
				if listening != nil {
					<-listening
				}
			}()
			p, err := a.platformFor(ctx, eng)
			if err != nil {
				return err
			}
			if code != "" {
				au, err := eng.Paste(ctx, p.ComponentAppID, code)
				if err != nil {
					return engineErr(err)
				}
				return a.printAuthorized(eng.Now(), au, flow.SourcePaste)
			}

			auth, err := eng.StartAuthorization(ctx, p.ComponentAppID, opts)
			if err != nil {
				return engineErr(err)
			}
			fmt.Fprintf(a.err, "Open this page on a computer and scan the QR code with the merchant's WeChat:\n  %s\n", auth.LaunchURL)
			if mobile {
				fmt.Fprintf(a.err, "Or open this link inside WeChat on the merchant's phone:\n  %s\n", auth.Session.MobileLink)
			}
			fmt.Fprintf(a.err, "The pre_auth_code is single use and expires %s.\n", untilText(eng.Now(), auth.Session.PreAuthExpiresAt))

			// The redirect and the push reach whichever listener serves the public URL.
			_, done, lerr := eng.Listen(ctx, p.ListenAddr)
			switch {
			case lerr == nil:
				listening = done
				fmt.Fprintf(a.err, "Listening on %s (public URL %s) until the code arrives.\n", p.ListenAddr, p.PublicURL)
			case errors.Is(lerr, syscall.EADDRINUSE):
				fmt.Fprintf(a.err, "note: %s is in use; assuming `wxauth serve` runs there and will receive the code.\n", p.ListenAddr)
			default:
				fmt.Fprintf(a.err, "note: no listener (%v); the redirect and the push cannot reach wxauth, paste the address instead.\n", lerr)
			}
			if !noBrowser {
				if err := eng.OpenBrowser(ctx, p.ComponentAppID, auth.LaunchURL); err != nil {
					fmt.Fprintf(a.err, "note: %v\n", err)
				}
			}

			wctx, wcancel := context.WithTimeout(ctx, timeout)
			defer wcancel()
			pasted := make(chan pasteResult, 1)
			if _, tty := ttyFD(a.in); tty {
				fmt.Fprintln(a.err, "Waiting… or paste the address the browser shows after approving, then Enter:")
				go a.readPastes(wctx, eng, p.ComponentAppID, pasted)
			} else {
				fmt.Fprintln(a.err, "Waiting for the merchant to approve…")
			}
			waited := make(chan pasteResult, 1)
			go func() {
				s, err := eng.WaitSession(wctx, auth.Session.ID)
				if err != nil {
					waited <- pasteResult{err: err}
					return
				}
				au, err := eng.DB().Authorizer(wctx, s.ComponentAppID, s.AuthorizerAppID)
				waited <- pasteResult{au: au, source: s.CodeSource, err: err}
			}()
			var r pasteResult
			select {
			case r = <-waited:
			case r = <-pasted:
			}
			switch {
			case r.err == nil:
				return a.printAuthorized(eng.Now(), r.au, r.source)
			case errors.Is(r.err, context.DeadlineExceeded) && ctx.Err() == nil:
				return withCode(ExitWaiting, fmt.Errorf("no approval within %s\n  what to do: run `wxauth authorize` again (each pre_auth_code works once), or finish with `wxauth authorize --code URL` if the merchant approved", timeout))
			case ctx.Err() != nil:
				return withCode(ExitFailure, fmt.Errorf("interrupted while waiting for the merchant"))
			}
			return engineErr(r.err)
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

type pasteResult struct {
	au     storage.Authorizer
	source string
	err    error
}

// readPastes reads lines from the terminal until one completes the authorization. A line that
// is not a code gets a note and another chance; the first success is sent on done.
func (a *app) readPastes(ctx context.Context, eng *flow.Engine, componentAppID string, done chan<- pasteResult) {
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
		au, err := eng.Paste(ctx, componentAppID, line)
		if err == nil {
			done <- pasteResult{au: au, source: flow.SourcePaste}
			return
		}
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(a.err, "note: %v\nPaste again, or keep waiting:\n", err)
	}
}

func (a *app) printAuthorized(now time.Time, au storage.Authorizer, source string) error {
	if a.g.json {
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
