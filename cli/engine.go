package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"wxauth/core/flow"
)

// openEngine opens the database (--db, else $WXAUTH_DB, else the default path) and builds the
// engine, logging to wxauth.log beside the database: never to the terminal, which the console
// draws on. mode says whether the command may create the database (flow.CreateIfMissing) or
// works on one that should be there (flow.MustExist). The returned function closes both.
func (a *app) openEngine(ctx context.Context, mode flow.OpenMode) (*flow.Engine, func(), error) {
	opts, err := a.storeOptions()
	if err != nil {
		return nil, nil, err
	}
	db, err := flow.OpenDatabase(ctx, a.flags.db, mode, opts...)
	if err != nil {
		return nil, nil, withCode(ExitFailure, err) // names the database, the cause and the fix
	}
	dir, err := flow.LocalDir(db)
	if err != nil {
		db.Close()
		return nil, nil, withCode(ExitFailure, err)
	}
	logFile, err := flow.OpenLogFile(filepath.Join(dir, "wxauth.log"))
	if err != nil {
		db.Close()
		return nil, nil, withCode(ExitFailure, err)
	}
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	eng := flow.New(flow.Config{Store: db, Logger: logger, NoReleaseResponder: a.noReleaseResponder, Host: os.Getenv(flow.HostEnv)})
	return eng, func() { eng.Close(); db.Close(); logFile.Close() }, nil
}

// engineErr maps an engine error to the CLI's exit codes: 3 when only the user can fix it.
func engineErr(err error) error {
	if err == nil {
		return nil
	}
	if flow.NeedsUser(err) {
		return withCode(ExitWaiting, err)
	}
	return withCode(ExitFailure, err)
}

// onPlatform runs fn with the engine and the platform the command acts on (--platform, or the
// only one configured), closing the engine afterwards.
func (a *app) onPlatform(cmd *cobra.Command, fn func(ctx context.Context, eng *flow.Engine, p flow.Platform) error) error {
	ctx := cmd.Context()
	eng, closeEng, err := a.openEngine(ctx, flow.MustExist)
	if err != nil {
		return err
	}
	defer closeEng()
	p, err := a.platformFor(ctx, eng)
	if err != nil {
		return err
	}
	return fn(ctx, eng, p)
}
