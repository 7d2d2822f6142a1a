package storage

// The MySQL store: the same tables and queries as SQLite on a server database shared by several
// hosts (MySQL 8, TencentDB for MySQL, MariaDB 10.11+). Only the few statements whose syntax
// differs go through the dialect (dialect.go); migrations are a separate embedded set with the
// same version numbers (migrations/mysql).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// PasswordEnv names the environment variable that gives the MySQL password when the URL has
// none: a password in --db is visible to every user of the host in `ps`.
const PasswordEnv = "WXAUTH_DB_PASSWORD"

// IsServerURL reports whether target names a MySQL database (mysql://…) rather than an SQLite
// file.
func IsServerURL(target string) bool { return strings.HasPrefix(target, "mysql://") }

// URLHasPassword reports whether a mysql:// URL carries its password (which `ps` shows when it
// is passed in --db).
func URLHasPassword(target string) bool {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return false
	}
	_, set := u.User.Password()
	return set
}

// mysqlTarget is a parsed mysql:// URL: the driver's configuration and the URL without its
// password, the only form ever printed.
type mysqlTarget struct {
	cfg      *mysql.Config
	redacted string
}

// parseMySQLURL parses mysql://user[:password]@host[:port]/dbname[?tls=true|false|skip-verify|preferred].
// The password comes from the URL, else from getenv(PasswordEnv). Errors never quote it.
func parseMySQLURL(target string, getenv func(string) string) (mysqlTarget, error) {
	u, err := url.Parse(target)
	if err != nil {
		return mysqlTarget{}, fmt.Errorf("database URL: cannot parse it (expected mysql://user@host:port/dbname?tls=true)")
	}
	host := u.Hostname()
	db := strings.TrimPrefix(u.Path, "/")
	if host == "" || db == "" || strings.Contains(db, "/") || u.User == nil || u.User.Username() == "" {
		return mysqlTarget{}, fmt.Errorf("database URL %s: expected mysql://user@host:port/dbname (user, host and database name are required)", redactURL(u))
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	if pw, ok := u.User.Password(); ok {
		cfg.Passwd = pw
	} else {
		cfg.Passwd = getenv(PasswordEnv)
	}
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", net.JoinHostPort(host, port), db
	// Counts of matched rows, not changed ones: a compare-and-swap that writes the values
	// already stored still succeeded (SQLite's behaviour).
	cfg.ClientFoundRows = true
	// UTC sessions, so UNIX_TIMESTAMP(NOW(3)) is the database's clock without zone games.
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 10*time.Second, 30*time.Second, 30*time.Second
	cfg.Logger = silentLogger{} // the driver's own log goes to stderr, where the console draws
	for key, vals := range u.Query() {
		switch key {
		case "tls":
			switch v := vals[len(vals)-1]; v {
			case "true", "false", "skip-verify", "preferred":
				cfg.TLSConfig = v
			default:
				return mysqlTarget{}, fmt.Errorf("database URL %s: tls=%s is not one of true, false, skip-verify, preferred", redactURL(u), v)
			}
		default:
			return mysqlTarget{}, fmt.Errorf("database URL %s: unknown parameter %q (only tls is understood)", redactURL(u), key)
		}
	}
	return mysqlTarget{cfg: cfg, redacted: redactURL(u)}, nil
}

// redactURL is u without its password.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// RedactURL is target with any password removed; other strings are returned as they are.
func RedactURL(target string) string {
	if !IsServerURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "mysql://…"
	}
	return redactURL(u)
}

type silentLogger struct{}

func (silentLogger) Print(...any) {}

func openMySQL(ctx context.Context, target string, o options, seal *sealer) (*DB, error) {
	t, err := parseMySQLURL(target, os.Getenv)
	if err != nil {
		return nil, err
	}
	// A database server is read by more people than a 0600 file: its secrets are sealed.
	if err := o.requireKey(true, t.redacted); err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(t.cfg)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", t.redacted, err)
	}
	sqldb := sql.OpenDB(conn)
	sqldb.SetConnMaxLifetime(5 * time.Minute) // a proxy or the server may close idle connections first
	sqldb.SetMaxIdleConns(4)
	db := &DB{sql: sqldb, where: t.redacted, d: dialect{mysql: true}, stmts: map[string]*sql.Stmt{}}
	db.seal.Store(seal)
	if err := db.prepareMySQL(ctx, o); err != nil {
		sqldb.Close()
		var ue *UnreachableError
		if errors.As(err, &ue) {
			return nil, err // names the server already
		}
		return nil, fmt.Errorf("database %s: %w", t.redacted, err)
	}
	return db, nil
}

func (db *DB) prepareMySQL(ctx context.Context, o options) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return db.serverError(fmt.Errorf("connecting: %w", err))
	}
	var tables, ours int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(table_name='schema_version'),0)
		FROM information_schema.tables WHERE table_schema=DATABASE()`).Scan(&tables, &ours); err != nil {
		return fmt.Errorf("reading the schema: %w", err)
	}
	if tables > 0 && ours == 0 {
		return &FileError{Path: db.where, Kind: ErrNotDatabase,
			Detail: fmt.Sprintf("the database holds %d tables of another program, none of them wxauth's", tables)}
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

// migrateMySQL applies the MySQL migrations under a named lock (GET_LOCK), so that hosts
// starting at once migrate one after the other. MySQL commits each DDL statement on its own, so
// the version is recorded after each file.
func (db *DB) migrateMySQL(ctx context.Context, names []string, versions []int) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	// Lock names are server-wide (at most 64 characters): one per database.
	const lockName = `CONCAT('wxauth-migrate-', MD5(DATABASE()))`
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(`+lockName+`, 120)`).Scan(&got); err != nil {
		return fmt.Errorf("migrations: taking the lock: %w", err)
	}
	if got.Int64 != 1 {
		return errors.New("migrations: another wxauth held the migration lock for 2 minutes; try again")
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DO RELEASE_LOCK(`+lockName+`)`)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) ENGINE=InnoDB`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if newest := versions[len(versions)-1]; current > newest {
		return &FileError{Path: db.where, Kind: ErrNewerSchema,
			Detail: fmt.Sprintf("schema version %d, this wxauth knows up to %d", current, newest)}
	}
	for i, name := range names {
		if versions[i] <= current {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		for _, stmt := range splitStatements(string(body)) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, versions[i]); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// splitStatements cuts a migration file into statements: each ends with ";" at the end of a
// line (the driver runs one statement per call). Comment lines are dropped.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// mysqlIntegrity runs CHECK TABLE on every table of the database: "ok" when InnoDB found
// nothing wrong, else the first complaint.
func (db *DB) mysqlIntegrity(ctx context.Context) (string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema=DATABASE() ORDER BY table_name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, "`"+name+"`")
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	res, err := db.sql.QueryContext(ctx, `CHECK TABLE `+strings.Join(tables, ", "))
	if err != nil {
		return "", err
	}
	defer res.Close()
	for res.Next() {
		var table, op, kind, text string
		if err := res.Scan(&table, &op, &kind, &text); err != nil {
			return "", err
		}
		if strings.EqualFold(kind, "status") && !strings.EqualFold(text, "OK") {
			return table + ": " + text, nil
		}
		if strings.EqualFold(kind, "error") {
			return table + ": " + text, nil
		}
	}
	return "ok", res.Err()
}

// isDuplicate reports whether err is a unique-key violation.
func (d dialect) isDuplicate(err error) bool {
	if d.mysql {
		var me *mysql.MySQLError
		return errors.As(err, &me) && me.Number == 1062
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE")
}

// retryable reports whether a MySQL transaction failed only because of another one (deadlock,
// lock wait timeout) and may simply run again.
func (d dialect) retryable(err error) bool {
	var me *mysql.MySQLError
	return d.mysql && errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}
