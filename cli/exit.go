package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"wxauth/core/flow"
)

// How a run ends: signals, exit codes and the error on stderr (text, or JSON with --json).

// interrupted is the cause of the command context's end when a signal stopped it.
type interrupted struct{ sig syscall.Signal }

func (i *interrupted) Error() string { return "interrupted by " + i.sig.String() }

// signalContext is cancelled by SIGINT or SIGTERM, with an *interrupted cause naming it.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			if sig, ok := s.(syscall.Signal); ok {
				cancel(&interrupted{sig: sig})
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sigs); cancel(nil) }
}

// interruptedBy returns the signal that cancelled ctx, if one did.
func interruptedBy(ctx context.Context) (syscall.Signal, bool) {
	var i *interrupted
	if errors.As(context.Cause(ctx), &i) {
		return i.sig, true
	}
	return 0, false
}

// remedySep is how commands and the engine put the remedy under a message.
const remedySep = "\n  what to do: "

// reportError prints err on stderr and returns the exit code: the command's own, 2 for cobra's
// flag and argument errors, 128+n when signal n stopped a command before it finished.
func (a *app) reportError(ctx context.Context, err error, asJSON bool) int {
	code := ExitUsage
	var ee *exitError
	msg, remedy := err.Error(), ""
	if errors.As(err, &ee) {
		code, msg = ee.code, ee.err.Error()
	} else {
		// Every command wraps its own failures in exitError, so anything else comes from cobra's
		// flag and argument checks (unknown flag, missing required flag, too many arguments).
		remedy = "run 'wxauth --help' for usage"
	}
	if sig, ok := interruptedBy(ctx); ok {
		code = 128 + int(sig)
		if errors.Is(err, context.Canceled) {
			msg = "interrupted"
		}
	}
	if m, r, ok := strings.Cut(msg, remedySep); ok {
		msg, remedy = m, r
	}
	if asJSON {
		enc := json.NewEncoder(a.err)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(struct {
			Error    string `json:"error"`
			Remedy   string `json:"remedy,omitempty"`
			ExitCode int    `json:"exit_code"`
		}{msg, remedy, code})
		return code
	}
	fmt.Fprintln(a.err, "wxauth:", msg)
	switch {
	case remedy == "":
	case ee == nil:
		fmt.Fprintln(a.err, "Run 'wxauth --help' for usage.")
	default:
		fmt.Fprint(a.err, strings.TrimPrefix(remedySep, "\n"), remedy, "\n")
	}
	return code
}

// jsonRequested reports whether --json is among args, for errors cobra raises before it has
// parsed the flag.
func jsonRequested(args []string) bool {
	for _, arg := range args {
		if arg == "--" {
			return false
		}
		if arg == "--json" || arg == "--json=true" {
			return true
		}
	}
	return false
}

// printableWriter escapes every control character but the line break (flow.PrintableLines)
// on its way to a terminal. Each Write is escaped whole: commands write whole strings.
type printableWriter struct{ w io.Writer }

func (p printableWriter) Write(b []byte) (int, error) {
	s := string(b)
	if safe := flow.PrintableLines(s); safe != s {
		if _, err := io.WriteString(p.w, safe); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return p.w.Write(b)
}
