// Package cli holds wxauth's cobra commands. Commands are thin: they parse flags, call the
// engine (or the protocol core) and print text or --json.
package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitWaiting = 3 // waiting on something only the user can fix; also crypto failures of `push`
	// A command stopped by a signal while working or waiting exits 128 + the signal's number:
	// 130 after Ctrl-C (SIGINT), 143 after SIGTERM. serve, sim and the console, which run
	// until stopped, exit 0 instead.
	ExitInterrupted = 130
)

// exitError carries an exit code and the message printed on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// globals are the flags every command shares.
type globals struct {
	db       string
	platform string
	json     bool
	version  bool
	keyFile  string // --key-file: the sealing key (keys.go)
	// --insecure-plaintext: a shared store may run without a key.
	insecurePlaintext bool
}

// app is what commands receive: the streams and the global flags. out and err escape control
// characters (text from outside must not drive the terminal); raw is stdout as it is, for the
// commands whose output is data to be used byte for byte (push decrypt, export).
type app struct {
	in       io.Reader
	out, err io.Writer
	raw      io.Writer
	flags    globals

	noReleaseResponder bool // serve --no-release-responder
}

// Main runs wxauth with args and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	ctx, stopSignals := signalContext()
	defer stopSignals()
	a := &app{in: in, out: printableWriter{out}, err: printableWriter{errOut}, raw: out}
	root := a.rootCmd(args)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(a.out)
	root.SetErr(a.err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	return a.reportError(ctx, err, a.flags.json || jsonRequested(args))
}

// rootCmd is the command tree for args: the root and, when args run one top-level command,
// only that one. Building all of them (some 40 commands and their flags: 0.3 ms and 500
// allocations warm, more on a cold start) would be paid by every `wxauth token`. Whatever
// asks for help or completion, or names no known command (the console, a typo cobra suggests
// a fix for), gets the whole tree.
func (a *app) rootCmd(args []string) *cobra.Command {
	build := a.commandRun(args)
	if build == nil {
		return a.fullRoot()
	}
	root := a.bareRoot()
	root.AddCommand(build(a))
	// A completion request (`completion`, `__complete`) names no known command: this run
	// needs no completion commands.
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// fullRoot is the root with every command.
func (a *app) fullRoot() *cobra.Command {
	root := a.bareRoot()
	for _, sub := range topLevel {
		root.AddCommand(sub.build(a))
	}
	return root
}

// bareRoot is the root command with its flags and no subcommands.
func (a *app) bareRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "wxauth",
		Short: "WeChat third-party platform authorization console and daemon",
		Long: `wxauth runs the WeChat Open Platform third-party platform (第三方平台) authorization flow
end to end: encrypted component_verify_ticket pushes, component_access_token, pre_auth_code,
authorization in a browser, api_query_auth and periodic authorizer token refresh, stored in SQLite.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// Without a subcommand, wxauth opens the console.
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.flags.version {
				return a.printVersion()
			}
			return a.consoleRun(cmd.Context())
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.db, "db", "", "database: an SQLite path, or mysql://user@host:port/dbname?tls=true with the password in $WXAUTH_DB_PASSWORD (default: $WXAUTH_DB, else under the user data directory)")
	pf.StringVar(&a.flags.platform, "platform", "", "component appid to act on (needed only when several are configured)")
	pf.StringVar(&a.flags.keyFile, "key-file", "", "file holding the key the database's secrets are sealed under (owner-only; default: $WXAUTH_KEY)")
	pf.BoolVar(&a.flags.insecurePlaintext, "insecure-plaintext", false, "let a shared (server) database run without a key, its secrets stored readable")
	pf.BoolVar(&a.flags.json, "json", false, "print machine-readable JSON (errors too: one JSON object on stderr)")
	root.Flags().BoolVar(&a.flags.version, "version", false, "print the version and build information")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if a.flags.platform != "" && !flow.ValidAppID(a.flags.platform) {
			return usageErr("--platform %q is not a component appid (wx followed by 16 lowercase hex digits; `wxauth platform list` shows them)", a.flags.platform)
		}
		if flow.DatabaseURLHasPassword(a.flags.db) {
			fmt.Fprintf(a.err, "warning: the password in --db is visible to every user of this host (ps); put it in $%s instead\n", flow.DatabasePasswordEnv)
		}
		return nil
	}
	return root
}
