package storage

// The files wxauth keeps: the database (with SQLite's -wal, -shm and -journal beside it) and the
// log. None is reached through a symbolic link, and an existing file is tightened to its owner
// or handed to SQLite only once it is known to be new, empty or a database of ours.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// sqliteHeader begins every SQLite database file (the first 16 bytes of its header).
const sqliteHeader = "SQLite format 3\x00"

// Why an existing path was refused before anything was written to it.
var (
	errLink       = errors.New("is a symbolic link")
	errNotRegular = errors.New("is not a regular file")
)

// openPlain opens an existing regular file with flag, never through a symbolic link: an Lstat
// check everywhere, and O_NOFOLLOW where the OS has it for a link planted after the check.
func openPlain(path string, flag int) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := plain(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag|noFollow, 0)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errLink
		}
		return nil, err
	}
	// The file actually opened, not the path: a swap after the check changes nothing.
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, errNotRegular
	}
	return f, nil
}

// plain refuses a symbolic link or anything but a regular file.
func plain(fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return errLink
	case !fi.Mode().IsRegular():
		return errNotRegular
	}
	return nil
}

// tighten removes the group's and others' permissions from f, keeping the owner's.
func tighten(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return f.Chmod(perm &^ 0o077)
	}
	return nil
}

// openDatabaseFile opens the database file for Open: created 0600 when missing (O_EXCL, which
// never follows a link, even a dangling one), else the existing regular file, which must be
// empty or begin with the SQLite header. SQLite's companion files must not be links either.
func openDatabaseFile(path string) (*os.File, bool, error) {
	for range 3 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, fileError(path, fmt.Errorf("creating the database file: %w", err))
		}
		f, err = openPlain(path, os.O_RDWR)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed between the two opens: create it afresh
		}
		if err != nil {
			return nil, false, databaseFileError(path, err)
		}
		if err := checkDatabaseFile(f, path); err != nil {
			f.Close()
			return nil, false, err
		}
		return f, false, nil
	}
	return nil, false, fmt.Errorf("database %s keeps appearing and disappearing; is another program replacing it?", path)
}

// checkDatabaseFile confirms an existing file is empty (SQLite makes a new database of it) or
// an SQLite database, and that SQLite will not write through a link beside it.
func checkDatabaseFile(f *os.File, path string) error {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if fi, err := os.Lstat(path + suffix); err == nil && plain(fi) != nil {
			return databaseFileError(path+suffix, plain(fi))
		}
	}
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && string(head) != sqliteHeader):
		return &FileError{Path: path, Kind: ErrNotDatabase, Detail: "it does not begin with the SQLite header"}
	case err != nil:
		return fileError(path, fmt.Errorf("reading the database header: %w", err))
	}
	return nil
}

// databaseFileError turns a refusal of openPlain into the FileError that explains it.
func databaseFileError(path string, err error) error {
	switch {
	case errors.Is(err, errLink):
		detail := "it points elsewhere"
		if target, rerr := os.Readlink(path); rerr == nil {
			detail = "it points to " + target
		}
		return &FileError{Path: path, Kind: ErrSymlink, Detail: detail, Err: err}
	case errors.Is(err, errNotRegular):
		return &FileError{Path: path, Kind: ErrNotDatabase, Detail: "it is not a regular file", Err: err}
	}
	return fileError(path, fmt.Errorf("opening the database file: %w", err))
}

// checkOwnSchema refuses an SQLite database that another program made: it has tables, but not
// wxauth's schema_version. It reads only, so such a file is left as it was.
func checkOwnSchema(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type='table'`)
	if err != nil {
		return fileError(path, fmt.Errorf("reading the schema: %w", err))
	}
	defer rows.Close()
	tables, ours := 0, false
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fileError(path, fmt.Errorf("reading the schema: %w", err))
		}
		tables++
		ours = ours || name == "schema_version"
	}
	if err := rows.Err(); err != nil {
		return fileError(path, fmt.Errorf("reading the schema: %w", err))
	}
	if tables > 0 && !ours {
		return &FileError{Path: path, Kind: ErrNotDatabase, Detail: fmt.Sprintf("an SQLite database of another program: %d tables, none of them wxauth's", tables)}
	}
	return nil
}

// RequireDir checks that the directory of a database path exists, so that a mistyped --db is
// an error naming it rather than a fresh, empty database. Other failures are left to Open.
func RequireDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &FileError{Path: path, Kind: ErrNoDirectory, Detail: "its directory " + dir + " does not exist", Err: err}
	case err == nil && !fi.IsDir():
		return &FileError{Path: path, Kind: ErrNoDirectory, Detail: dir + " is not a directory"}
	}
	return nil
}

// OpenLogFile opens path for appending, created 0600 when missing. It never follows a
// symbolic link, refuses a file of another user, and tightens an existing file that others
// could read to its owner.
func OpenLogFile(path string) (*os.File, error) {
	for range 3 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("log file: %w", err)
		}
		f, err = openPlain(path, os.O_WRONLY|os.O_APPEND)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case errors.Is(err, errLink):
			return nil, fmt.Errorf("log file %s is a symbolic link; wxauth does not write through links (remove it: rm %s)", path, path)
		case errors.Is(err, errNotRegular):
			return nil, fmt.Errorf("log file %s is not a regular file; move it away", path)
		case err != nil:
			return nil, fmt.Errorf("log file: %w", err)
		}
		if st, err := f.Stat(); err == nil && ownedByOther(st) {
			f.Close()
			return nil, fmt.Errorf("log file %s belongs to another user; wxauth does not write into it (remove it, or use another --db directory)", path)
		}
		if err := tighten(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("log file %s: restricting it to its owner: %w", path, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("log file %s keeps appearing and disappearing; is another program replacing it?", path)
}
