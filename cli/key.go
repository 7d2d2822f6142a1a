package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// storeOptions are the database's open options from the global flags: the key from
// --key-file, else $WXAUTH_KEY (never a flag value: argv shows in ps), and
// --insecure-plaintext.
func (a *app) storeOptions() ([]flow.OpenOption, error) {
	var opts []flow.OpenOption
	key, ok, err := flow.LoadKey(a.flags.keyFile, flow.KeyEnv, os.Getenv)
	if err != nil {
		return nil, withCode(ExitFailure, err)
	}
	if ok {
		opts = append(opts, flow.WithKey(key))
	}
	if a.flags.insecurePlaintext {
		opts = append(opts, flow.InsecurePlaintext())
	}
	return opts, nil
}

func (a *app) keyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Seal the database's secrets at rest: generate, rotate and inspect the key",
		Long: `The database's secrets (AppSecrets, Tokens, EncodingAESKeys, tickets, component and authorizer
tokens, refresh tokens, authorization codes) are sealed with AES-256-GCM under a key you hold:
$WXAUTH_KEY (the key's base64) or --key-file PATH (an owner-only file). A plaintext database is
sealed by the first command given a key. Without its key a sealed database does not open; a lost
key means every merchant must authorize again.`,
		Example: `  wxauth key generate --out ~/.config/wxauth/key
  wxauth --key-file ~/.config/wxauth/key serve
  wxauth key status`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.keyGenerateCmd(), a.keyRotateCmd(), a.keyStatusCmd())
	return cmd
}

func (a *app) keyGenerateCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Make a new random key: printed, or written to an owner-only file with --out",
		Example: `  wxauth key generate --out ~/.config/wxauth/key   # then: wxauth --key-file ~/.config/wxauth/key serve
  export WXAUTH_KEY="$(wxauth key generate)"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			k, err := flow.GenerateKey()
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if out == "" {
				if a.flags.json {
					return jsonOut(a.raw, map[string]string{"key": k.Encode(), "key_id": k.ID()})
				}
				fmt.Fprintln(a.raw, k.Encode())
				return nil
			}
			if err := flow.WriteKeyFile(out, k); err != nil {
				return withCode(ExitFailure, err)
			}
			if a.flags.json {
				return jsonOut(a.out, map[string]string{"file": out, "key_id": k.ID()})
			}
			fmt.Fprintf(a.out, "wrote key %s to %s (mode 0600); keep a copy where you keep backups: without it the database's secrets are lost\n", k.ID(), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the key to this new file (0600) instead of printing it")
	return cmd
}

func (a *app) keyRotateCmd() *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Re-seal every secret under a new key, in one transaction",
		Long: `rotate opens the database with its key ($WXAUTH_KEY or --key-file) and re-seals every secret under
the new key (--new-key-file, else $WXAUTH_NEW_KEY, else a new key printed once before anything
changes), in one transaction: a failure leaves the database under the old key. Every wxauth
still running with the old key is refused from then on (reading or writing a secret fails
with a message saying so): restart each with the new key. A plaintext database is sealed.`,
		Example: `  wxauth key generate --out new.key && wxauth --key-file old.key key rotate --new-key-file new.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.keyRotate(cmd.Context(), newKeyFile)
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new key (owner-only; default: $WXAUTH_NEW_KEY, else a generated key)")
	return cmd
}

func (a *app) keyRotate(ctx context.Context, newKeyFile string) error {
	next, ok, err := flow.LoadKey(newKeyFile, flow.NewKeyEnv, os.Getenv)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if !ok && a.flags.json {
		return usageErr("with --json, give the new key: --new-key-file PATH or $%s (wxauth key generate --out PATH makes one)", flow.NewKeyEnv)
	}
	opts, err := a.storeOptions()
	if err != nil {
		return err
	}
	db, err := flow.OpenDatabase(ctx, a.flags.db, flow.MustExist, opts...)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer db.Close()
	before, err := flow.KeyStatus(ctx, db)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if !ok {
		if next, err = flow.GenerateKey(); err != nil {
			return withCode(ExitFailure, err)
		}
		// Printed before anything changes: a crash after the commit must not lose the key.
		fmt.Fprintln(a.raw, next.Encode())
		fmt.Fprintf(a.err, "wxauth: the line above is the new key %s, shown once: store it (an owner-only file or your secret store) before anything else\n", next.ID())
	}
	n, compactErr, err := flow.RotateKey(ctx, db, next)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("rotating the key (the database is unchanged): %w", err))
	}
	if compactErr != nil {
		fmt.Fprintf(a.err, "wxauth: warning: the values under the old key may remain in the file's free space: %v\n  what to do: when no wxauth runs, sqlite3 %s VACUUM\n", compactErr, db.Path())
	}
	from := "plaintext"
	if before.Sealed {
		from = "key " + before.KeyID
	}
	if a.flags.json {
		return jsonOut(a.out, map[string]any{"key_id": next.ID(), "previous": from, "resealed": n})
	}
	fmt.Fprintf(a.out, "re-sealed %d secrets under key %s (was %s); restart every wxauth that uses %s with the new key\n", n, next.ID(), from, db.Path())
	return nil
}

func (a *app) keyStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Whether the database is sealed, under which key id, and how many secrets are (no secret is shown)",
		Long: `status needs no key: it counts the sealed values without opening them. Given the key
($WXAUTH_KEY or --key-file) it also checks that the key is the database's (and seals a plaintext
database).`,
		Example: `  wxauth key status
  wxauth --key-file ~/.config/wxauth/key key status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.keyStatus(cmd.Context())
		},
	}
}

func (a *app) keyStatus(ctx context.Context) error {
	key, haveKey, err := flow.LoadKey(a.flags.keyFile, flow.KeyEnv, os.Getenv)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	// Without a key the database is only inspected: counting needs no secret.
	opts := []flow.OpenOption{flow.ForInspection()}
	if haveKey {
		opts = []flow.OpenOption{flow.WithKey(key)}
	}
	db, err := flow.OpenDatabase(ctx, a.flags.db, flow.MustExist, opts...)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer db.Close()
	st, err := flow.KeyStatus(ctx, db)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if a.flags.json {
		cols := []map[string]any{}
		for _, c := range st.Columns {
			cols = append(cols, map[string]any{"table": c.Table, "column": c.Column, "sealed": c.Sealed, "plain": c.Plain, "other_key": c.OtherKey})
		}
		return jsonOut(a.out, map[string]any{"database": db.Path(), "sealed": st.Sealed, "key_id": st.KeyID,
			"sealed_at": timeJSON(st.SealedAt), "key_given": haveKey, "columns": cols})
	}
	switch {
	case !st.Sealed:
		fmt.Fprintf(a.out, "database %s: not sealed (its secrets are stored as they are; give a key to seal them: wxauth key generate)\n", db.Path())
	case haveKey:
		fmt.Fprintf(a.out, "database %s: sealed under key %s since %s; the key given is that key\n", db.Path(), st.KeyID, st.SealedAt.Format("2006-01-02 15:04:05 MST"))
	default:
		fmt.Fprintf(a.out, "database %s: sealed under key %s since %s (no key given)\n", db.Path(), st.KeyID, st.SealedAt.Format("2006-01-02 15:04:05 MST"))
	}
	rows := [][]string{{"COLUMN", "SEALED", "PLAIN", "OTHER KEY"}}
	for _, c := range st.Columns {
		rows = append(rows, []string{c.Table + "." + c.Column, fmt.Sprint(c.Sealed), fmt.Sprint(c.Plain), fmt.Sprint(c.OtherKey)})
	}
	return writeTable(a.out, rows)
}
