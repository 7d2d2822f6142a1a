package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// `wxauth client …`: the token service's clients. The key is printed once, alone on stdout,
// when it is made; only its hash is kept.

func (a *app) clientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Manage the programs allowed to read tokens from the token API (serve --api)",
		Long: `The token service (中控) hands tokens to other programs over HTTP (` + "`wxauth serve --api`" + `). Each program
is a client with its own key and scope. add and rotate print the key once, alone on stdout: only its
SHA-256 is stored, so a lost key is replaced with rotate, never shown again. A rotated or removed key
stops working in every running serve within a second.`,
		Example: `  wxauth client add order-service                       # every authorizer of the platform
  wxauth client add tpl-bot --component                  # also the component token
  wxauth client add shop --appid wx1234567890abcdef      # one authorizer only
  KEY=$(wxauth client rotate order-service)
  wxauth client list`,
	}
	cmd.AddCommand(a.clientAddCmd(), a.clientListCmd(), a.clientRemoveCmd(), a.clientRotateCmd())
	return cmd
}

func (a *app) clientAddCmd() *cobra.Command {
	var appids []string
	var component bool
	cmd := &cobra.Command{
		Use:   "add NAME [--appid AUTHORIZER_APPID]... [--component]",
		Short: "Create a client and print its key (once)",
		Long: `Create a client of the token API and print its key, alone on stdout (with --json: {"name","key","scopes"}).
By default the client may read every authorizer token of the platform (--platform, or the only one);
--appid (repeatable) narrows it to those authorizers; --component also allows the component token
(template library, fast registration).`,
		Example: `  wxauth client add order-service
  wxauth client add shop --appid wx1234567890abcdef --appid wxfedcba0987654321
  wxauth client add tpl-bot --component --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range appids {
				if !flow.ValidAppID(id) {
					return usageErr("--appid %q is not an appid (wx followed by 16 lowercase hex digits; `wxauth authorizers` lists them)", id)
				}
			}
			return a.withEngine(cmd, func(ctx context.Context, eng *flow.Engine) error {
				c, key, err := eng.AddClient(ctx, flow.ClientSpec{Name: args[0], ComponentAppID: a.flags.platform, AppIDs: appids, Component: component})
				if err != nil {
					return engineErr(err)
				}
				return a.printKey(c, key, "added")
			})
		},
	}
	cmd.Flags().StringArrayVar(&appids, "appid", nil, "an authorizer the client may read (repeatable; default: all of the platform's)")
	cmd.Flags().BoolVar(&component, "component", false, "the client may also read the component_access_token")
	return cmd
}

func (a *app) clientRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate NAME",
		Short: "Give a client a new key (printed once); the old one stops working",
		Long: `Replace a client's key and print the new one, alone on stdout. The old key is refused at once by
this process and within a second by every running serve.`,
		Example: `  wxauth client rotate order-service > order-service.key`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd, func(ctx context.Context, eng *flow.Engine) error {
				c, key, err := eng.RotateClient(ctx, args[0])
				if err != nil {
					return engineErr(err)
				}
				return a.printKey(c, key, "rotated")
			})
		},
	}
}

func (a *app) clientRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Short:   "Delete a client; its key stops working",
		Example: `  wxauth client remove order-service`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd, func(ctx context.Context, eng *flow.Engine) error {
				if err := eng.RemoveClient(ctx, args[0]); err != nil {
					return engineErr(err)
				}
				fmt.Fprintf(a.err, "client %s removed; its key no longer works\n", args[0])
				return nil
			})
		},
	}
}

func (a *app) clientListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the clients: scope, creation, last use, reads today (never keys)",
		Long: `List the token API's clients with their scope, when they were created, when a key was last used and
how many reads they made today (China time). Use figures are written by the serving process every few
seconds. Keys are never shown: they are not stored.`,
		Example: `  wxauth client list
  wxauth client list --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEngine(cmd, func(ctx context.Context, eng *flow.Engine) error {
				list, err := eng.Clients(ctx)
				if err != nil {
					return engineErr(err)
				}
				if a.flags.json {
					out := make([]map[string]any, len(list))
					for i, c := range list {
						out[i] = clientJSON(c)
						out[i]["created_at"] = timeJSON(c.CreatedAt)
						out[i]["rotated_at"] = timeJSON(c.RotatedAt)
						out[i]["last_used_at"] = timeJSON(c.LastUsedAt)
						out[i]["reads_today"] = c.ReadsToday
					}
					return jsonOut(a.out, out)
				}
				if len(list) == 0 {
					fmt.Fprintln(a.err, "no client yet; add one with `wxauth client add NAME`")
					return nil
				}
				now := eng.Now()
				rows := [][]string{{"NAME", "SCOPE", "CREATED", "LAST USE", "READS TODAY"}}
				for _, c := range list {
					rows = append(rows, []string{c.Name, c.ScopeText(), agoText(now, c.CreatedAt), agoText(now, c.LastUsedAt), strconv.FormatInt(c.ReadsToday, 10)})
				}
				return writeTable(a.out, rows)
			})
		},
	}
}

// printKey prints a new key alone on stdout (or the JSON object), and what happened on stderr.
func (a *app) printKey(c flow.Client, key, what string) error {
	if a.flags.json {
		out := clientJSON(c)
		out["key"] = key
		return jsonOut(a.out, out)
	}
	fmt.Fprintln(a.out, key)
	fmt.Fprintf(a.err, "client %s %s (%s); the key above is shown only now: store it where the program reads it\n", c.Name, what, c.ScopeText())
	return nil
}

func clientJSON(c flow.Client) map[string]any {
	appids := c.AppIDs
	if appids == nil {
		appids = []string{}
	}
	return map[string]any{"name": c.Name, "scopes": map[string]any{"component_appid": c.ComponentAppID,
		"authorizer_appids": appids, "all_authorizers": len(c.AppIDs) == 0, "component": c.Component}}
}

// withEngine runs fn with the engine of an existing database, closing it afterwards.
func (a *app) withEngine(cmd *cobra.Command, fn func(ctx context.Context, eng *flow.Engine) error) error {
	eng, closeEng, err := a.openEngine(cmd.Context(), flow.MustExist)
	if err != nil {
		return err
	}
	defer closeEng()
	return fn(cmd.Context(), eng)
}
