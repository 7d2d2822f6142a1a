package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

func (a *app) migrateCmd() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "migrate --to DATABASE",
		Short: "Copy the whole database into an empty one: SQLite to MySQL, MySQL to SQLite",
		Long: `Copy every platform, ticket, token, authorizer, refresh-token history, session, event and
counter of the database (--db, else $WXAUTH_DB, else the default) into the empty database --to
names: an SQLite path (created when missing) or mysql://user@host:port/dbname?tls=true (the
password in $WXAUTH_DB_PASSWORD when the URL has none). The copy is one transaction on the
target; the rows of every table are then counted on both sides and must agree. A target that
already holds rows is refused, so nothing there is overwritten. Leases are not copied (they
belong to the processes of the source).

Both databases are opened with the same sealing key ($WXAUTH_KEY or --key-file), which a MySQL
target requires (wxauth key generate makes one): a plaintext SQLite source is sealed under it
first, and the sealed values are copied as they are.

Stop the wxauth processes on the source first, and point them at the target afterwards.`,
		Example: `  WXAUTH_KEY=… WXAUTH_DB_PASSWORD=… wxauth migrate --to 'mysql://wxauth@db.internal:3306/wxauth?tls=true'
  wxauth --db 'mysql://wxauth@db.internal/wxauth' migrate --to ./wxauth-copy.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usageErr("--to is required: the database to copy into (a path or mysql://user@host:port/dbname)")
			}
			if flow.DatabaseURLHasPassword(to) {
				fmt.Fprintf(a.err, "warning: the password in --to is visible to every user of this host (ps); put it in $%s instead\n", flow.DatabasePasswordEnv)
			}
			ctx := cmd.Context()
			// Both under the same key: the sealed values are copied as they are.
			opts, err := a.storeOptions()
			if err != nil {
				return err
			}
			db, err := flow.OpenDatabase(ctx, a.flags.db, flow.MustExist, opts...)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			defer db.Close()
			counts, where, err := flow.CopyDatabase(ctx, db, to, opts...)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("migrate: %w", err))
			}
			if a.flags.json {
				return jsonOut(a.out, map[string]any{"from": flow.DatabaseLocation(db), "to": where, "tables": counts})
			}
			var rows int64
			fmt.Fprintf(a.out, "copied %s\n    to %s\n", flow.DatabaseLocation(db), where)
			for _, c := range counts {
				fmt.Fprintf(a.out, "  %-18s %8d rows, %d in the target\n", c.Table, c.Source, c.Target)
				rows += c.Target
			}
			fmt.Fprintf(a.out, "%d rows in %d tables, counts checked on both sides\n", rows, len(counts))
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the empty database to copy into: an SQLite path or a mysql:// URL")
	return cmd
}
