package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// Kinds of FileError, for errors.Is.
var (
	ErrReadOnly = errors.New("the database is read-only")
	ErrDiskFull = errors.New("the disk is full")
)

// FileError is a failure of the database file or of the file system under it, which only the
// user can fix, on the machine: the database or its directory is read-only, or the disk is
// full. Nothing was half-written: SQLite rolled the transaction back and what was stored
// before is intact.
type FileError struct {
	Path   string
	Kind   error  // ErrReadOnly or ErrDiskFull
	Detail string // the cause as SQLite or the OS saw it
	Err    error
}

func (e *FileError) Error() string {
	dir := filepath.Dir(e.Path)
	if errors.Is(e.Kind, ErrDiskFull) {
		return fmt.Sprintf("database %s: the disk is full (%s); the change was rolled back and the stored tokens are intact"+
			"\n  what to do: free space on the file system holding %s (df -h %s), then run the command again", e.Path, e.Detail, dir, dir)
	}
	return fmt.Sprintf("database %s is read-only (%s); nothing was written"+
		"\n  what to do: make the file and its directory writable by this user (ls -ld %s %s; chmod u+w), or point --db / WXAUTH_DB at a writable copy",
		e.Path, e.Detail, e.Path, dir)
}

// Is makes errors.Is(err, ErrReadOnly) and errors.Is(err, ErrDiskFull) work.
func (e *FileError) Is(target error) bool { return target == e.Kind }

func (e *FileError) Unwrap() error { return e.Err }

// SQLite result codes that mean the file or the disk is at fault (sqlite3.h).
const (
	sqliteReadOnly          = 8
	sqliteFull              = 13
	sqliteReadOnlyDirectory = sqliteReadOnly | 6<<8 // 1544
	sqliteIOErrShmSize      = 10 | 19<<8            // 4874: no room to grow the shared-memory file
)

// fileError classifies err: a *FileError naming path when the file or the disk is at fault,
// err unchanged otherwise.
func fileError(path string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	kind, detail := ErrReadOnly, ""
	var coded interface{ Code() int }
	switch {
	case errors.As(err, &coded) && coded.Code() == sqliteReadOnlyDirectory:
		detail = "its directory is not writable, and SQLite keeps its -wal and -shm files beside it"
	case errors.As(err, &coded) && coded.Code()&0xff == sqliteReadOnly:
		detail = "SQLite cannot write to the file"
	case errors.As(err, &coded) && (coded.Code()&0xff == sqliteFull || coded.Code() == sqliteIOErrShmSize):
		kind, detail = ErrDiskFull, "SQLite could not write its journal or grow the file"
	case errors.Is(err, syscall.ENOSPC):
		kind, detail = ErrDiskFull, "no space left on the device"
	case errors.Is(err, syscall.EROFS):
		detail = "the file system is mounted read-only"
	case errors.Is(err, fs.ErrPermission):
		detail = "permission denied"
	default:
		return err
	}
	return &FileError{Path: path, Kind: kind, Detail: detail, Err: err}
}

// exec runs a statement outside a transaction, classifying file and disk failures.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.sql.ExecContext(ctx, query, args...)
	return res, fileError(db.path, err)
}
