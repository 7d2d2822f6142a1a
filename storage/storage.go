// Package storage keeps every credential wxauth handles in SQLite (modernc.org/sqlite, no cgo):
// platforms, tickets with history, component tokens, authorizers with refresh-token history,
// authorization sessions, leases, an append-only event log and API call counters.
//
// Tokens are replaced by compare-and-swap on a version number, so a stale writer never clobbers a
// newer token, and a refresh token is never replaced by an empty one.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql migrations/mysql/*.sql
var migrations embed.FS

// Errors callers check with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("changed by another writer")
	ErrExists   = errors.New("already exists")
)

// DB is an open wxauth database.
type DB struct {
	sql   *sql.DB // the read pool (and every statement when w is nil)
	wsql  *sql.DB // the write connection (the writer's), or nil when w is nil
	w     *writer // SQLite's group-committing writer; nil runs writes directly on sql (MySQL)
	ckpt  *checkpointer
	path  string                 // the SQLite file; "" for a server database
	where string                 // the file, or the server database's URL without its password
	d     dialect                // SQLite's or MySQL's spelling of the few statements that differ
	down  atomic.Int64           // a server database: Unix ms since when it does not answer, 0 while it does
	seal  atomic.Pointer[sealer] // the key secrets are sealed under (seal.go); nil: plaintext
	// ckptMu keeps the checkpointer's and the writer's checkpoints apart.
	ckptMu sync.Mutex
	// stmts caches the hot read statements prepared on the read pool.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

// DefaultPath is $WXAUTH_DB, else DataDirPath.
func DefaultPath() (string, error) {
	if p := os.Getenv("WXAUTH_DB"); p != "" {
		return p, nil
	}
	return DataDirPath()
}

// DataDirPath is wxauth.db under the user's data directory (datadir.go): the database
// created on first use when no other is named.
func DataDirPath() (string, error) {
	p, err := dataDirPath(runtime.GOOS, os.Getenv, os.UserHomeDir, fileExists)
	if err != nil {
		return "", err
	}
	return filepath.Clean(p), nil
}

// Open opens the database target names: a MySQL database for mysql://user@host:port/dbname
// (mysql.go), else an SQLite file (the path, optionally written sqlite://path). Migrations are
// applied either way. With WithKey its secrets are sealed (seal.go, sealdb.go): a sealed
// database opens only with its key, and a plaintext one is sealed; a server database requires
// a key unless WithInsecurePlaintext.
//
// An SQLite file is created if needed: the directory 0700, the file 0600, WAL journal, a busy
// timeout so several processes can share it. It never follows a symbolic link at path, and it
// refuses, untouched, an existing file that is not a wxauth database (file.go); a wxauth
// database readable by others is tightened to 0600.
func Open(ctx context.Context, target string, opts ...Option) (*DB, error) {
	o := buildOptions(opts)
	seal, err := newSealer(o.key)
	if err != nil {
		return nil, err
	}
	if IsServerURL(target) {
		return openMySQL(ctx, target, o, seal)
	}
	path := strings.TrimPrefix(target, "sqlite://")
	if err := o.requireKey(false, path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fileError(path, fmt.Errorf("creating the database directory: %w", err))
	}
	// Created by us so it is 0600 from the first byte; SQLite gives the -wal and -shm files
	// the same mode as the database file.
	f, _, err := openDatabaseFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// No journal_mode in the DSN: switching to WAL writes the file, which must wait until it
	// is known to be ours (checkOwnSchema). WAL, once set, holds for every later connection.
	// Checkpoints are the checkpointer's (checkpoint.go), never a committing request's:
	// wal_autocheckpoint is off on our connections and journal_size_limit trims the WAL
	// whenever a checkpoint lets it restart.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(" + strconv.Itoa(walSizeLimit) + ")&_txlock=immediate"
	readers, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// A kept pool: every connection opened stays open (opening one re-reads the schema and
	// forgets its prepared statements).
	n := max(4, 2*runtime.GOMAXPROCS(0))
	readers.SetMaxOpenConns(n)
	readers.SetMaxIdleConns(n)
	readers.SetConnMaxLifetime(0)
	readers.SetConnMaxIdleTime(0)
	writes, err := sql.Open("sqlite", dsn)
	if err != nil {
		readers.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	wake, commits := make(chan struct{}, 1), new(atomic.Int64)
	db := &DB{sql: readers, wsql: writes, path: path, where: path, stmts: map[string]*sql.Stmt{}}
	db.seal.Store(seal)
	db.w = newWriter(writes, path+"-wal", &db.ckptMu, commits, wake)
	if err := db.prepare(ctx, f, o); err != nil {
		db.w.close()
		writes.Close()
		readers.Close()
		return nil, fileError(path, err)
	}
	if db.ckpt, err = startCheckpointer(dsn, path+"-wal", &db.ckptMu, commits, wake); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// prepare makes an opened file ready: confirmed ours, owner-only, in WAL mode and migrated.
func (db *DB) prepare(ctx context.Context, f *os.File, o options) error {
	if err := checkOwnSchema(ctx, db.sql, db.path); err != nil {
		return err
	}
	if err := tighten(f); err != nil {
		return fmt.Errorf("restricting the database file to its owner: %w", err)
	}
	if _, err := db.sql.ExecContext(ctx, `PRAGMA journal_mode=WAL`); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	// A missing or wrong key is told before anything is migrated or written.
	sealed, err := db.checkKey(ctx, o)
	if err != nil {
		return err
	}
	if o.inspect && sealed {
		return nil // inspected without its key: not migrated
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	return db.sealPlaintext(ctx)
}

// Path is the SQLite database file's path; "" for a server database, which has no file.
func (db *DB) Path() string { return db.path }

// Location names the database for people: the file's path, or the server database's URL
// without its password.
func (db *DB) Location() string { return db.where }

// Dialect is "sqlite" or "mysql".
func (db *DB) Dialect() string { return db.d.Name() }

// Shared reports whether the database is a server shared by several hosts: leases there cannot
// rely on process ids, and expire by the database's clock.
func (db *DB) Shared() bool { return db.d.mysql }

// Close finishes the writes already submitted, stops the checkpointer and closes the database.
// A second Close returns the first one's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	if db.w != nil {
		db.w.close()
	}
	if db.ckpt != nil {
		db.ckpt.stop()
	}
	db.stmtMu.Lock()
	for _, s := range db.stmts {
		s.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.stmtMu.Unlock()
	var werr error
	if db.wsql != nil && db.wsql != db.sql {
		werr = db.wsql.Close()
	}
	return errors.Join(db.sql.Close(), werr)
}

// IntegrityCheck runs PRAGMA integrity_check (CHECK TABLE on MySQL) and returns its verdict
// ("ok" when sound).
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	if db.d.mysql {
		return db.mysqlIntegrity(ctx)
	}
	var s string
	err := db.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&s)
	return s, err
}

// migrationFiles lists the embedded migrations of a dialect in order, with their versions.
func migrationFiles(d dialect) (names []string, versions []int, err error) {
	dir := "migrations"
	if d.mysql {
		dir = "migrations/mysql"
	}
	if names, err = fs.Glob(migrations, dir+"/*.sql"); err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	versions = make([]int, len(names))
	for i, name := range names {
		if versions[i], err = strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0]); err != nil {
			return nil, nil, fmt.Errorf("migration %s: bad name", name)
		}
	}
	return names, versions, nil
}

func (db *DB) migrate(ctx context.Context) error {
	names, versions, err := migrationFiles(db.d)
	if err != nil {
		return err
	}
	if db.d.mysql {
		return db.migrateMySQL(ctx, names, versions)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Almost every open finds the schema current: a read says so without taking the write lock
	// (a `wxauth token` beside a busy `serve` then never waits for it).
	var current int
	if err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err == nil &&
		current == versions[len(versions)-1] {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		// Running a newer schema with older code would lose what the newer one keeps.
		if newest := versions[len(versions)-1]; current > newest {
			return &FileError{Path: db.path, Kind: ErrNewerSchema,
				Detail: fmt.Sprintf("schema version %d, this wxauth knows up to %d", current, newest)}
		}
		for i, name := range names {
			v := versions[i]
			if v <= current {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// tx runs fn in an IMMEDIATE transaction (the DSN's _txlock), so read-check-write sequences
// are atomic across processes.
// With a writer, fn runs on the writer's goroutine inside a shared transaction (writer.go):
// fn must not itself write through db (that would wait for itself).
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.d.mysql {
		return db.serverError(db.mysqlTx(ctx, fn))
	}
	if db.w != nil {
		return fileError(db.path, db.w.do(ctx, false, fn))
	}
	return fileError(db.path, runTx(ctx, db.sql, fn))
}

// mysqlTx runs fn in a transaction on MySQL, again when InnoDB chose it as a deadlock's victim
// (a few times): two hosts upserting the same rows can deadlock on gap locks, and the loser's
// work is rolled back whole. Every commit is durable there (innodb_flush_log_at_trx_commit=1,
// the default and TencentDB's), so durableTx needs nothing more.
func (db *DB) mysqlTx(ctx context.Context, fn func(*sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = runTx(ctx, db.sql, fn); !db.d.retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return err
}

// durableTx is tx with its commit fsynced (synchronous=FULL for this transaction only), which
// also makes every earlier commit in the WAL durable. The DSN's synchronous=NORMAL survives a
// crash of the process but may lose the last commits to a power loss or a kernel crash: fine
// for what WeChat hands out again (tickets are re-pushed every 10 minutes, tokens re-minted),
// not for what it gives once, such as the grant of a single-use authorization code.
func (db *DB) durableTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if db.d.mysql {
		return db.serverError(db.mysqlTx(ctx, fn))
	}
	if db.w != nil {
		return fileError(db.path, db.w.do(ctx, true, fn))
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fileError(db.path, fmt.Errorf("database: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		return fileError(db.path, fmt.Errorf("database: %w", err))
	}
	// Back to the DSN's level before the connection returns to the pool.
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous=NORMAL`)
	return fileError(db.path, runTx(ctx, conn, fn))
}

func runTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database commit: %w", err)
	}
	return nil
}

// unixMilli is how times are stored; the zero time is 0 ("never"), not year 1.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// SchemaVersion is the newest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}
