package flow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"wxauth/storage"
)

// Database is an open store the engine runs on, and how to close it.
type Database interface {
	Store
	Path() string
	Close() error
}

// OpenMode says whether a command may create a new database.
type OpenMode int

const (
	// MustExist: the commands that work on a database. A path the user gave (--db,
	// WXAUTH_DB) must be in an existing directory, so a typo is an error naming it instead of
	// a fresh, empty database; the default path is still created on first use.
	MustExist OpenMode = iota
	// CreateIfMissing: the commands that make a database on purpose (platform add, the
	// console with its first-run form, demo), creating its directory too.
	CreateIfMissing
)

// DefaultDatabasePath is $WXAUTH_DB, else wxauth.db under the user's data directory.
func DefaultDatabasePath() (string, error) { return storage.DefaultPath() }

// OpenDatabase opens the database at path, or at the default path when path is empty; mode
// says whether a user-given path may be created. Its errors name the database, the cause and
// the fix. opts carry the key (WithKey) the secrets are sealed under.
func OpenDatabase(ctx context.Context, path string, mode OpenMode, opts ...OpenOption) (Database, error) {
	if path == "" {
		var err error
		if path, err = storage.DefaultPath(); err != nil {
			return nil, err
		}
	}
	if mode == MustExist && !storage.IsServerURL(path) && !isDataDirPath(path) {
		if err := storage.RequireDir(path); err != nil {
			return nil, err
		}
	}
	db, err := storage.Open(ctx, path, opts...)
	if err != nil {
		var fe *storage.FileError
		if errors.As(err, &fe) {
			return nil, err // already names the database, the cause and the fix
		}
		if storage.IsServerURL(path) {
			return nil, err // names the server without the password
		}
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return db, nil
}

// IsServerDatabase reports whether target (a --db value) names a server database (mysql://…)
// rather than an SQLite file.
func IsServerDatabase(target string) bool { return storage.IsServerURL(target) }

// DatabaseURLHasPassword reports whether a mysql:// target carries its password, which other
// users of the host can read in `ps` when it is passed in --db.
func DatabaseURLHasPassword(target string) bool { return storage.URLHasPassword(target) }

// DatabasePasswordEnv is the environment variable that gives a server database's password.
const DatabasePasswordEnv = storage.PasswordEnv

// DatabaseLocation names a database for people: the SQLite file's path, or the server's URL
// without its password.
func DatabaseLocation(db Database) string {
	if l, ok := db.(interface{ Location() string }); ok {
		return l.Location()
	}
	return db.Path()
}

// LocalDir is where a database's companions (the log, exports) live on this host: the SQLite
// file's directory, or, for a server database, the user's data directory (created 0700).
func LocalDir(db interface{ Path() string }) (string, error) {
	if db.Path() != "" {
		return filepath.Dir(db.Path()), nil
	}
	return LocalDataDir()
}

// LocalDataDir is the user's data directory on this host (created 0700), where what belongs to
// the host rather than to a server database is kept.
func LocalDataDir() (string, error) {
	def, err := storage.DataDirPath()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(def)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the data directory: %w", err)
	}
	return dir, nil
}

// isDataDirPath reports whether path is the default under the user's data directory, which
// wxauth creates on first use whatever the command.
func isDataDirPath(path string) bool {
	def, err := storage.DataDirPath()
	return err == nil && filepath.Clean(def) == filepath.Clean(path)
}

// OpenLogFile opens a log file for appending: created 0600, never through a symbolic link,
// tightened to its owner when others could read it.
func OpenLogFile(path string) (*os.File, error) { return storage.OpenLogFile(path) }

// DatabaseDamaged reports whether err says the database file is damaged or is no longer a
// wxauth database: nothing more can be done with it until the user restores or replaces it,
// and err says how.
func DatabaseDamaged(err error) bool {
	return errors.Is(err, storage.ErrCorrupt) || errors.Is(err, storage.ErrNotDatabase)
}

// DataDir is the directory of the engine's database (where its log is, and the console's
// exports go): the user's data directory for a server database, "" for a store that is
// neither.
func (e *Engine) DataDir() string {
	if db, ok := e.raw.(interface{ Path() string }); ok {
		dir, _ := LocalDir(db)
		return dir
	}
	return ""
}

// TableCount is one table's rows in the source and the target of a copy.
type TableCount struct {
	Table  string `json:"table"`
	Source int64  `json:"source"`
	Target int64  `json:"target"`
}

// CopyDatabase copies every row of db into the database target names (an SQLite path, created
// when missing, or a mysql:// URL), which must be empty: `wxauth migrate --to`. The counts per
// table are checked equal. It returns them and the target's printable location.
func CopyDatabase(ctx context.Context, db Database, target string, opts ...OpenOption) ([]TableCount, string, error) {
	src, ok := db.(*storage.DB)
	if !ok {
		return nil, "", errors.New("this store cannot be copied")
	}
	dst, err := OpenDatabase(ctx, target, CreateIfMissing, opts...)
	if err != nil {
		return nil, "", err
	}
	defer dst.Close()
	where := DatabaseLocation(dst)
	if where == src.Location() || (src.Path() != "" && sameFile(src.Path(), dst.Path())) {
		return nil, where, &UserError{Msg: "--to names the database being copied", Remedy: "give another database with --to"}
	}
	counts, err := src.CopyTo(ctx, dst.(*storage.DB))
	out := make([]TableCount, len(counts))
	for i, c := range counts {
		out[i] = TableCount{Table: c.Table, Source: c.Source, Target: c.Target}
	}
	return out, where, err
}

func sameFile(a, b string) bool {
	if b == "" {
		return false
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
