package cli

import (
	"context"
	"fmt"

	"wxauth/core/flow"

	"github.com/spf13/cobra"
)

func (a *app) tokenCmd() *cobra.Command {
	var renew bool
	cmd := &cobra.Command{
		Use:   "token [component|AUTHORIZER_APPID]",
		Short: "Print a valid access token (component token by default), refreshing it if needed",
		Long: `Print a valid token and a newline, nothing else: the component_access_token ("component", the
default) or an authorizer's authorizer_access_token. A token about to expire is renewed first,
under the database lease, so this never competes with a running ` + "`wxauth serve`" + `: there is
one refresher per platform however many processes ask.

--renew renews the token first whatever its expiry (the component token: WeChat then keeps the
previous one only 5 more minutes). When another process (` + "`wxauth serve`" + `) holds the lease, that
process renews it and this prints the result; if it cannot, its errcode and rid are on stderr.

Exit status 3 means only you can fix it (no ticket yet, the merchant must authorize again, IP
not whitelisted); the explanation and what to do are on stderr.`,
		Example: `  curl "https://api.weixin.qq.com/cgi-bin/component/api_get_authorizer_list?component_access_token=$(wxauth token)" ...
  curl "https://api.weixin.qq.com/wxa/get_category?access_token=$(wxauth token wxba5fad812f8e6fb9)"
  wxauth token wxba5fad812f8e6fb9 --json   # {"token":"…","expires_at":"2025-05-17T14:30:00+08:00"}
  wxauth token --renew wxba5fad812f8e6fb9  # after WeChat rejected it (40001)`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := "component"
			if len(args) == 1 {
				target = args[0]
			}
			if target != "component" && !flow.ValidAppID(target) {
				return usageErr("%q is neither \"component\" nor an authorizer appid (wx followed by 16 lowercase hex digits)", target)
			}
			return a.onPlatform(cmd, func(ctx context.Context, eng *flow.Engine, p flow.Platform) error {
				if renew {
					if err := renewToken(ctx, eng, p.ComponentAppID, target); err != nil {
						return engineErr(err)
					}
				}
				var tok jsonToken
				if target == "component" {
					t, err := eng.ComponentToken(ctx, p.ComponentAppID)
					if err != nil {
						return engineErr(err)
					}
					tok = jsonToken{Token: t.Token, ExpiresAt: timeJSON(t.ExpiresAt)}
				} else {
					au, err := eng.AuthorizerToken(ctx, p.ComponentAppID, target)
					if err != nil {
						return engineErr(err)
					}
					tok = jsonToken{Token: au.AccessToken, ExpiresAt: timeJSON(au.AccessExpiresAt)}
				}
				if a.flags.json {
					return jsonOut(a.out, tok)
				}
				_, err := fmt.Fprintln(a.out, tok.Token)
				return withCode(ExitFailure, err)
			})
		},
	}
	cmd.Flags().BoolVar(&renew, "renew", false, "renew the token now, whatever its expiry")
	return cmd
}

// renewToken renews the component token or an authorizer's token now.
func renewToken(ctx context.Context, eng *flow.Engine, componentAppID, target string) error {
	if target == "component" {
		return eng.RefreshComponentToken(ctx, componentAppID)
	}
	return eng.RefreshAuthorizer(ctx, componentAppID, target)
}

type jsonToken struct {
	Token     string `json:"token"`
	ExpiresAt any    `json:"expires_at"`
}
