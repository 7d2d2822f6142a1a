// Package cli holds wxauth's cobra commands. Commands are thin: they parse flags, call the
// engine (or the protocol core) and print text or --json.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitWaiting = 3 // waiting on something only the user can fix; also crypto failures of `push`
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
}

// app is what commands receive: the streams and the global flags.
type app struct {
	in       io.Reader
	out, err io.Writer
	g        globals
}

// Main runs wxauth with args and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a := &app{in: in, out: out, err: errOut}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintln(errOut, "wxauth:", ee.err)
		return ee.code
	}
	// Every command wraps its own failures in exitError, so anything else comes from cobra's
	// flag and argument checks (unknown flag, missing required flag, too many arguments).
	fmt.Fprintln(errOut, "wxauth:", err)
	fmt.Fprintln(errOut, "Run 'wxauth --help' for usage.")
	return ExitUsage
}

func (a *app) rootCmd() *cobra.Command {
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
		RunE: func(cmd *cobra.Command, _ []string) error { return a.consoleRun(cmd.Context()) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.g.db, "db", "", "database path (default: $WXAUTH_DB, else under the user data directory)")
	pf.StringVar(&a.g.platform, "platform", "", "component appid to act on (needed only when several are configured)")
	pf.BoolVar(&a.g.json, "json", false, "print machine-readable JSON")
	root.AddCommand(a.pushCmd())
	root.AddCommand(a.simCmd())
	root.AddCommand(a.demoCmd())
	root.AddCommand(a.platformCmd(), a.serveCmd(), a.authorizeCmd(), a.tokenCmd(), a.authorizersCmd(),
		a.exportCmd(), a.ticketCmd(), a.statusCmd(), a.quotaCmd())
	return root
}
