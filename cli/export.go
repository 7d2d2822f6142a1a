package cli

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"wxauth/core/export"
	"wxauth/core/flow"
)

func (a *app) exportCmd() *cobra.Command {
	var format, output string
	var withRefresh bool
	cmd := &cobra.Command{
		Use:   "export [--format env|json|shell] [--output FILE] [APPID...]",
		Short: "Export valid authorizer tokens for other programs (env, json or shell)",
		Long: `Export the access tokens of the given authorizers (all of the platform's by default), renewing
any that are about to expire first, under the database lease.

Formats:
  env    WXAUTH_<APPID>_ACCESS_TOKEN=…, _EXPIRES_AT, _COMPONENT_APPID lines (docker --env-file,
         systemd EnvironmentFile, dotenv)
  shell  export WXAUTH_<APPID>_…='…' lines, single-quoted, for eval or source; adds _NICK_NAME
  json   an array of {component_appid, authorizer_appid, nick_name, access_token, expires_at}

Revoked accounts and accounts that must authorize again are skipped with a note on stderr. The
exit status is 3 when an APPID you named was skipped, or when every account was. Nothing is
written when a token cannot be obtained for another reason (exit 1).

--output writes a file only its owner can read: a new file is created with mode 0600; an existing
file is overwritten only if it is already 0600 (otherwise it is refused, never loosened).
Refresh tokens stay in the database unless --refresh-tokens is given: whoever holds one can
mint tokens and becomes a second refresher.`,
		Example: `  eval "$(wxauth export --format shell)"
  wxauth export --output /run/secrets/wechat.env wxba5fad812f8e6fb9
  wxauth export --format json | jq -r '.[0].access_token'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.flags.json {
				if cmd.Flags().Changed("format") && format != export.FormatJSON {
					return usageErr("--json conflicts with --format %s", format)
				}
				format = export.FormatJSON // --json is shorthand for --format json here
			}
			if !slices.Contains(export.Formats, format) {
				return usageErr("--format must be one of %s, not %q", strings.Join(export.Formats, ", "), format)
			}
			for _, id := range args {
				if !flow.ValidAppID(id) {
					return usageErr("%q is not an authorizer appid (wx followed by 16 lowercase hex digits)", id)
				}
			}
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				items, skipped, ids, err := a.exportItems(ctx, eng, p, args, withRefresh)
				if err != nil {
					return err
				}
				return a.writeExport(p, format, output, items, skipped, ids, len(args) > 0)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", export.FormatEnv, "env, json or shell")
	f.StringVarP(&output, "output", "o", "", "write to FILE (mode 0600) instead of stdout")
	f.BoolVar(&withRefresh, "refresh-tokens", false, "include the refresh tokens (REFRESH_TOKEN / refresh_token)")
	return cmd
}

// exportItems fetches a valid token of each named authorizer (every one of the platform's when
// none is named). Accounts only their merchant can fix are skipped with a note; any other
// failure stops the export, so nothing is written.
func (a *app) exportItems(ctx context.Context, eng *flow.Engine, p flow.Platform, args []string, withRefresh bool) (items []export.Item, skipped int, ids []string, err error) {
	ids = args
	if len(args) == 0 {
		list, err := eng.Authorizers(ctx, p.ComponentAppID)
		if err != nil {
			return nil, 0, nil, engineErr(err)
		}
		for _, au := range list {
			ids = append(ids, au.AppID)
		}
	}
	for _, id := range ids {
		au, err := eng.AuthorizerToken(ctx, p.ComponentAppID, id)
		if err != nil {
			if !flow.NeedsUser(err) {
				return nil, 0, nil, engineErr(fmt.Errorf("%s: %w", id, err))
			}
			skipped++
			fmt.Fprintf(a.err, "skipped %s: %s\n", id, err)
			continue
		}
		it := export.Item{ComponentAppID: p.ComponentAppID, AuthorizerAppID: au.AppID, NickName: au.NickName,
			AccessToken: au.AccessToken, ExpiresAt: au.AccessExpiresAt}
		if withRefresh {
			it.RefreshToken = au.RefreshToken
		}
		items = append(items, it)
	}
	return items, skipped, ids, nil
}

// writeExport writes the items in format to output (or stdout) and says how it went.
func (a *app) writeExport(p flow.Platform, format, output string, items []export.Item, skipped int, ids []string, named bool) error {
	var buf bytes.Buffer
	if err := export.Format(&buf, format, items); err != nil {
		return withCode(ExitFailure, err)
	}
	if output != "" {
		if err := export.WriteFile(output, buf.Bytes()); err != nil {
			return withCode(ExitFailure, err)
		}
		fmt.Fprintf(a.err, "exported %d token(s) to %s (mode 0600)\n", len(items), output)
	} else if _, err := a.raw.Write(buf.Bytes()); err != nil {
		return withCode(ExitFailure, err)
	}
	switch {
	case named && skipped > 0:
		return withCode(ExitWaiting, fmt.Errorf("%d of the %d named authorizer(s) could not be exported (see above)", skipped, len(ids)))
	case !named && skipped > 0 && len(items) == 0:
		return withCode(ExitWaiting, fmt.Errorf("none of the %d authorizer(s) could be exported (see above)", skipped))
	case len(ids) == 0:
		fmt.Fprintf(a.err, "no account has authorized %s yet; start with `wxauth authorize`\n", p.ComponentAppID)
	}
	return nil
}
