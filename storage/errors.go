package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
)

// Kinds of FileError, for errors.Is.
var (
	ErrReadOnly = errors.New("the database is read-only")
	ErrDiskFull = errors.New("the disk is full")
	// ErrCorrupt: SQLite found the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
	ErrCorrupt = errors.New("the database is damaged")
	// ErrNotDatabase: the path holds something wxauth did not make (a text file, another
	// program's SQLite database, a directory); it was left untouched.
	ErrNotDatabase = errors.New("not a wxauth database")
	// ErrSymlink: the database (or its -wal, -shm or -journal) is a symbolic link, which wxauth
	// never follows, so that a link cannot point its writes and chmod at another file.
	ErrSymlink = errors.New("the database path is a symbolic link")
	// ErrNewerSchema: a newer wxauth migrated the database past what this one knows.
	ErrNewerSchema = errors.New("the database is from a newer wxauth")
	// ErrNoDirectory: the directory of a database path the user gave does not exist.
	ErrNoDirectory = errors.New("the database directory does not exist")
)

// FileError is a failure of the database file or of the file system under it, which only the
// user can fix, on the machine: the database or its directory is read-only, the disk is full,
// the file is damaged, is not a wxauth database, is a symbolic link, is from a newer wxauth,
// or its directory does not exist. Nothing was half-written: SQLite rolled the transaction
// back, and a file refused at open was left as it was.
type FileError struct {
	Path   string
	Kind   error  // one of the Err… kinds above
	Detail string // the cause as SQLite or the OS saw it
	Err    error
}

func (e *FileError) Error() string {
	p, dir := e.Path, filepath.Dir(e.Path)
	switch e.Kind {
	case ErrDiskFull:
		return fmt.Sprintf("database %s: the disk is full (%s); the change was rolled back and the stored tokens are intact"+
			"\n  what to do: free space on the file system holding %s (df -h %s), then run the command again", p, e.Detail, dir, dir)
	case ErrCorrupt:
		return fmt.Sprintf("database %s is damaged (%s); wxauth stopped rather than work on it"+
			"\n  what to do: stop every wxauth that uses it and copy it aside as it is, with its -wal file if there is one (mkdir -p %[3]s && cp -p %[1]s* %[3]s)"+
			"\n  save the refresh tokens first: only the merchants can give them again, and the refresh_tokens table keeps every one received"+
			"\n    sqlite3 %[1]s 'SELECT authorizer_appid, refresh_token, first_seen_at FROM refresh_tokens'"+
			"\n  check it: sqlite3 %[1]s 'PRAGMA integrity_check'"+
			"\n  then restore your latest backup, or salvage what is readable (sqlite3 %[1]s .recover | sqlite3 %[1]s.recovered) and use --db %[1]s.recovered",
			p, e.Detail, filepath.Join(dir, "damaged"))
	case ErrNotDatabase:
		return fmt.Sprintf("%s is not a wxauth database (%s); wxauth left it untouched"+
			"\n  what to do: check --db / WXAUTH_DB: point it at a wxauth database, or at a new file name for a new one"+
			" (if it was a wxauth database, its beginning is damaged: restore it from a backup)", p, e.Detail)
	case ErrSymlink:
		return fmt.Sprintf("database %s is a symbolic link (%s); wxauth does not follow links to its files, so that no link can send its writes elsewhere"+
			"\n  what to do: pass the real path with --db (readlink -f %s), or replace the link by the file", p, e.Detail, p)
	case ErrNewerSchema:
		return fmt.Sprintf("database %s has %s: use a newer wxauth (or a copy of the database)", p, e.Detail)
	case ErrNoDirectory:
		return fmt.Sprintf("database %s: %s; wxauth creates a new database only when asked to (wxauth platform add, the console, wxauth demo)"+
			"\n  what to do: check the path for a typo, or create the directory first (mkdir -p %s)", p, e.Detail, dir)
	}
	return fmt.Sprintf("database %s is read-only (%s); nothing was written"+
		"\n  what to do: make the file and its directory writable by this user (ls -ld %s %s; chmod u+w), or point --db / WXAUTH_DB at a writable copy",
		p, e.Detail, p, dir)
}

// Is makes errors.Is(err, ErrReadOnly) and the other kinds work.
func (e *FileError) Is(target error) bool { return target == e.Kind }

func (e *FileError) Unwrap() error { return e.Err }

// SQLite result codes that mean the file or the disk is at fault (sqlite3.h).
const (
	sqliteReadOnly          = 8
	sqliteFull              = 13
	sqliteReadOnlyDirectory = sqliteReadOnly | 6<<8 // 1544
	sqliteCorrupt           = 11
	sqliteNotADB            = 26
	sqliteIOErrShmSize      = 10 | 19<<8 // 4874: no room to grow the shared-memory file
)

// fileError classifies err: a *FileError naming path when the file or the disk is at fault,
// err unchanged otherwise.
func fileError(path string, err error) error {
	if err == nil {
		return nil
	}
	if path == "" { // a server database: no file to blame
		return err
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
	case errors.As(err, &coded) && (coded.Code()&0xff == sqliteCorrupt || coded.Code()&0xff == sqliteNotADB):
		kind, detail = ErrCorrupt, sqliteMessage(err)
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

// sqliteMessage is SQLite's own words for err ("database disk image is malformed"), without
// the driver's prefix and code.
func sqliteMessage(err error) string {
	var coded interface {
		Code() int
		Error() string
	}
	msg := err.Error()
	if errors.As(err, &coded) {
		msg = coded.Error()
	}
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}

// exec runs a statement outside a transaction, classifying file and disk failures.
// With a writer it is one request of a group commit (writer.go), on a prepared statement.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.w == nil {
		res, err := db.sql.ExecContext(ctx, query, args...)
		return res, db.classify(err)
	}
	var res sql.Result
	err := db.w.do(ctx, false, func(tx *sql.Tx) error {
		var err error
		if s := db.w.stmt(query); s != nil {
			res, err = tx.StmtContext(ctx, s).ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, query, args...)
		}
		return err
	})
	return res, fileError(db.path, err)
}

// txExec runs a statement inside tx (a db.tx's): on the writer's connection with the statement
// it prepared once (SQLite re-parses a statement each time otherwise), else as tx's own.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if db.w != nil && !db.d.mysql {
		if s := db.w.stmt(query); s != nil {
			return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
		}
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow is txExec's query of one row.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if db.w != nil && !db.d.mysql {
		if s := db.w.stmt(query); s != nil {
			return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
		}
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// classify turns a failure into what the user can act on: a *FileError for SQLite's file, an
// *UnreachableError for a server that does not answer.
func (db *DB) classify(err error) error {
	if db.d.mysql {
		return db.serverError(err)
	}
	return fileError(db.path, err)
}

// queryRow is QueryRowContext whose Scan classifies file failures: a damaged page is as often
// met by a read as by a write.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) row {
	s, err := db.stmt(ctx, query)
	if err != nil {
		return row{err: err, db: db}
	}
	return row{r: s.QueryRowContext(ctx, args...), db: db}
}

// stmt is query prepared on the read pool, once per process (database/sql prepares it on each
// pooled connection the first time that connection runs it, then keeps it).
func (db *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if s, ok := db.stmts[query]; ok {
		return s, nil
	}
	s, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.stmts[query] = s
	return s, nil
}

type row struct {
	r   *sql.Row
	err error // preparing the statement failed
	db  *DB
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.db.classify(r.err)
	}
	return r.db.classify(r.r.Scan(dest...))
}

// query is QueryContext whose rows classify file failures.
func (db *DB) query(ctx context.Context, query string, args ...any) (*rows, error) {
	s, err := db.stmt(ctx, query)
	if err != nil {
		return nil, fileError(db.path, err)
	}
	rs, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, db.classify(err)
	}
	return &rows{Rows: rs, db: db}, nil
}

type rows struct {
	*sql.Rows
	db *DB
}

func (r *rows) Scan(dest ...any) error { return r.db.classify(r.Rows.Scan(dest...)) }
func (r *rows) Err() error             { return r.db.classify(r.Rows.Err()) }
