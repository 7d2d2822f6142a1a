package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) authorizersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "authorizers",
		Short: "List the accounts authorized to the platform, with status and token expiry",
		Long: `List the mini programs and official accounts authorized to the platform: status (healthy,
needs_reauth, revoked, no_token, error, superseded), access-token expiry and whether a refresh
token is held. Nothing is refreshed: use ` + "`wxauth token APPID`" + ` or ` + "`wxauth export`" + ` for valid tokens.`,
		Example: `  wxauth authorizers
  wxauth authorizers import     # adopt the accounts already authorized to the platform
  wxauth authorizers --json | jq -r '.[] | select(.status != "healthy") | .authorizer_appid'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				list, err := eng.Authorizers(ctx, p.ComponentAppID)
				if err != nil {
					return engineErr(err)
				}
				if a.flags.json {
					out := make([]authorizerJSON, len(list))
					for i, au := range list {
						out[i] = toAuthorizerJSON(au)
					}
					return jsonOut(a.out, out)
				}
				if len(list) == 0 {
					fmt.Fprintf(a.err, "no account has authorized %s yet; start with `wxauth authorize`\n", p.ComponentAppID)
					return nil
				}
				now := eng.Now()
				rows := [][]string{{"AUTHORIZER APPID", "NAME", "KIND", "STATUS", "TOKEN EXPIRES", "REFRESH TOKEN", "PERMISSIONS", "LAST ERROR"}}
				for _, au := range list {
					rt := "no"
					if au.RefreshToken != "" {
						rt = "yes"
					}
					name := au.NickName
					if name == "" {
						name = "-"
					}
					lastErr := "-"
					if au.LastError != "" {
						lastErr = au.LastError
					}
					rows = append(rows, []string{au.AppID, name, orDash(au.Kind), string(au.Status),
						untilText(now, au.AccessExpiresAt), rt, fmt.Sprintf("%d sets", len(au.FuncInfo)), lastErr})
				}
				return writeTable(a.out, rows)
			})
		},
	}
	cmd.AddCommand(a.authorizersImportCmd())
	return cmd
}

// authorizerJSON is the documented --json shape of `wxauth authorizers`, plus permission sets.
type authorizerJSON struct {
	AuthorizerAppID      string     `json:"authorizer_appid"`
	NickName             string     `json:"nick_name"`
	Kind                 string     `json:"kind"`
	Status               string     `json:"status"`
	AccessTokenExpiresAt any        `json:"access_token_expires_at"`
	HasRefreshToken      bool       `json:"has_refresh_token"`
	FuncInfo             []funcJSON `json:"func_info"`
	LastError            string     `json:"last_error,omitempty"`
}

type funcJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func toAuthorizerJSON(au flow.Authorizer) authorizerJSON {
	fs := make([]funcJSON, len(au.FuncInfo))
	for i, id := range au.FuncInfo {
		fs[i] = funcJSON{ID: id, Name: flow.FuncName(id)}
	}
	return authorizerJSON{AuthorizerAppID: au.AppID, NickName: au.NickName, Kind: au.Kind, Status: string(au.Status),
		AccessTokenExpiresAt: timeJSON(au.AccessExpiresAt), HasRefreshToken: au.RefreshToken != "",
		FuncInfo: fs, LastError: au.LastError}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
