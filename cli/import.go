package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) authorizersImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import",
		Short: "Adopt the accounts already authorized to the platform (api_get_authorizer_list)",
		Long: `Adopt every account already authorized to the platform, so that a platform that ran elsewhere
(or was removed here and added again) moves to wxauth without any merchant authorizing again.

WeChat's api_get_authorizer_list is read 500 accounts a page; each account is stored with the
refresh token WeChat lists, its permission sets and info (api_get_authorizer_info), and gets an
access token at once (api_authorizer_token), so it is healthy straight away. When another wxauth
process holds the refresh lease (a running ` + "`serve`" + `), the accounts are stored and that process
obtains their tokens on its next pass.

It can be run again at any time: an account already stored with WeChat's refresh token is left
alone, one stored with another refresh token gets WeChat's (the old one stays in the history),
and an import stopped half-way (network, IP whitelist, quota) keeps what it adopted and goes on
from there. A platform needs a ticket first (` + "`wxauth ticket push`" + `).

Progress goes to stderr, the count to stdout: "imported 3, updated 1, unchanged 6".
Exit status: 0 when every account is adopted with a token; 3 when some need their merchant
(no refresh token, not authorized any more) or the platform needs you (no ticket, IP whitelist);
1 on other failures.`,
		Example: `  wxauth authorizers import
  wxauth authorizers import --platform wx1234567890abcdef --json | jq '.accounts[] | select(.outcome != "unchanged")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				return a.runImport(ctx, eng, p)
			})
		},
	}
}

func (a *app) runImport(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
	progress := importProgress(a.err)
	rep, err := eng.ImportAuthorizers(ctx, p.ComponentAppID, progress)
	if rep.TokensLeftTo != "" {
		fmt.Fprintf(a.err, "another wxauth process (%s) holds the refresh lease: it obtains the access tokens of the adopted accounts on its next pass\n", rep.TokensLeftTo)
	}
	if err != nil {
		if len(rep.Items) > 0 {
			fmt.Fprintf(a.err, "stopped after %d of %d accounts (%s); what was adopted is kept: run it again to go on\n",
				len(rep.Items), rep.Total, rep.Summary())
		}
		return engineErr(err)
	}
	if a.flags.json {
		if err := jsonOut(a.out, importJSON(rep)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.out, rep.Summary())
	}
	return importExit(rep)
}

// importProgress reports on stderr: every account that changed or failed, and a count every
// 100 accounts and at the end.
func importProgress(w io.Writer) func(flow.ImportProgress) {
	return func(pr flow.ImportProgress) {
		if pr.Done == 0 {
			fmt.Fprintf(w, "WeChat lists %d authorized accounts\n", pr.Total)
			return
		}
		it := pr.Last
		name := it.AppID
		if it.NickName != "" {
			name += " " + it.NickName
		}
		switch {
		case it.Outcome == flow.AdoptFailed:
			fmt.Fprintf(w, "  failed     %s: %v\n", name, it.Err)
		case it.Outcome == flow.AdoptNoRefreshToken:
			fmt.Fprintf(w, "  skipped    %s: WeChat lists no refresh token for it; the merchant must authorize again (`wxauth authorize --biz-appid %s`)\n", name, it.AppID)
		case it.Outcome != flow.AdoptUnchanged:
			fmt.Fprintf(w, "  %-10s %s\n", it.Outcome, name)
		}
		if it.Err != nil && it.Outcome != flow.AdoptFailed {
			fmt.Fprintf(w, "             no access token yet: %v\n", it.Err)
		}
		if pr.Done%100 == 0 || pr.Done == pr.Total {
			fmt.Fprintf(w, "%d/%d accounts\n", pr.Done, pr.Total)
		}
	}
}

// importExit is the exit status of a finished import: 3 when what is left needs a person
// (merchants, a whitelist), 1 for other failures.
func importExit(rep flow.ImportReport) error {
	n, needsUser := 0, true
	for _, it := range rep.Items {
		switch {
		case it.Outcome == flow.AdoptNoRefreshToken:
		case it.Err != nil:
			needsUser = needsUser && flow.NeedsUser(it.Err)
		default:
			continue
		}
		n++
	}
	if n == 0 {
		return nil
	}
	code := ExitFailure
	if needsUser {
		code = ExitWaiting
	}
	return withCode(code, fmt.Errorf("%d accounts are not fully adopted (see above); `wxauth authorizers` shows their status", n))
}

// importJSON is the --json report of an import.
func importJSON(rep flow.ImportReport) map[string]any {
	accounts := make([]map[string]any, len(rep.Items))
	for i, it := range rep.Items {
		m := map[string]any{"authorizer_appid": it.AppID, "nick_name": it.NickName, "outcome": string(it.Outcome),
			"token_obtained": it.TokenObtained}
		if it.Err != nil {
			m["error"] = it.Err.Error()
		}
		accounts[i] = m
	}
	return map[string]any{
		"component_appid": rep.ComponentAppID, "total": rep.Total,
		"imported": rep.Count(flow.AdoptImported), "updated": rep.Count(flow.AdoptUpdated),
		"unchanged": rep.Count(flow.AdoptUnchanged), "failed": rep.Count(flow.AdoptFailed),
		"no_refresh_token": rep.Count(flow.AdoptNoRefreshToken), "tokens_left_to": rep.TokensLeftTo,
		"accounts": accounts,
	}
}
