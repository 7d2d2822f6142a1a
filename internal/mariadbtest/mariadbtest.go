// Package mariadbtest starts a throwaway MariaDB for tests: mariadb-install-db into a temporary
// directory, mariadbd on a free loopback port, a fresh database per test, everything removed
// at the end. Without the MariaDB binaries the tests that need it skip, saying why, unless
// WXAUTH_TEST_MARIADB=required (CI), where they fail.
package mariadbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// User and Password are the account the tests connect with (created by the init file).
const (
	User     = "wxauth"
	Password = "wxauth-test-pw"
)

// Server is one running mariadbd.
type Server struct {
	Addr string // 127.0.0.1:port
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	seq  atomic.Int64
	mu   sync.Mutex
}

// Lazy starts one server for a test package on first use; TestMain calls Stop at the end.
type Lazy struct {
	once sync.Once
	srv  *Server
	err  error
}

// Server returns the package's server, starting it the first time; it skips t (or fails it,
// when WXAUTH_TEST_MARIADB=required) when MariaDB is not installed.
func (l *Lazy) Server(t testing.TB) *Server {
	t.Helper()
	l.once.Do(func() { l.srv, l.err = Start() })
	if l.err != nil {
		if errors.Is(l.err, errNotInstalled) && os.Getenv("WXAUTH_TEST_MARIADB") != "required" {
			t.Skipf("MariaDB half skipped: %v (install mariadb-server, or set WXAUTH_TEST_MARIADB=required to make this a failure)", l.err)
		}
		t.Fatalf("starting MariaDB: %v", l.err)
	}
	return l.srv
}

// URL creates a fresh database for t and returns its mysql:// URL, with the password in it
// unless withPassword is false (then it comes from WXAUTH_DB_PASSWORD=Password).
func (l *Lazy) URL(t testing.TB, withPassword bool) string {
	t.Helper()
	return l.Server(t).NewDatabase(t, withPassword)
}

// Stop stops the server if it was started.
func (l *Lazy) Stop() {
	if l.srv != nil {
		l.srv.Stop()
	}
}

var errNotInstalled = errors.New("mariadbd or mariadb-install-db not found in PATH or /usr/sbin")

func binary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p, nil
		}
	}
	return "", errNotInstalled
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Start installs a data directory in a new temporary directory and starts mariadbd on it.
func Start() (*Server, error) {
	install, err := binary("mariadb-install-db")
	if err != nil {
		return nil, err
	}
	if _, err := binary("mariadbd"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wxauth-mariadb-")
	if err != nil {
		return nil, err
	}
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(dir, "data"), "--auth-root-authentication-method=socket", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	init := fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' IDENTIFIED BY '%s';\nGRANT ALL PRIVILEGES ON *.* TO '%[1]s'@'127.0.0.1' WITH GRANT OPTION;\n", User, Password)
	if err := os.WriteFile(filepath.Join(dir, "init.sql"), []byte(init), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{dir: dir}
	var lastErr error
	for range 3 { // the free port may be taken between the probe and the bind
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs mariadbd on a free port (a new one unless the server ran before: a restart keeps
// its address) and waits until it answers.
func (s *Server) start() error {
	bin, _ := binary("mariadbd")
	port := 0
	if s.Addr != "" {
		_, p, _ := net.SplitHostPort(s.Addr)
		port, _ = strconv.Atoi(p)
	} else {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(s.dir, "data"),
		"--socket=" + filepath.Join(s.dir, "mariadb.sock"), "--pid-file=" + filepath.Join(s.dir, "mariadbd.pid"),
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-networking=0", "--skip-name-resolve",
		"--init-file=" + filepath.Join(s.dir, "init.sql"), "--log-error=" + filepath.Join(s.dir, "error.log"),
		"--tmpdir=" + s.dir, "--innodb-buffer-pool-size=64M", "--max-connections=500",
		"--innodb-lock-wait-timeout=20"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
			return fmt.Errorf("mariadbd exited at start:\n%s", tail(string(log), 2000))
		default:
		}
		if err := s.ping(); err == nil {
			s.mu.Lock()
			s.cmd, s.done = cmd, done
			s.mu.Unlock()
			return nil
		} else if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("mariadbd did not answer on %s in 90 s: %v", s.Addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (s *Server) open(dbname string) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = User, Password, "tcp", s.Addr, dbname
	cfg.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

func (s *Server) ping() error {
	db, err := s.open("")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// Exec runs a statement on the server (no database selected).
func (s *Server) Exec(query string, args ...any) error {
	db, err := s.open("")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(query, args...)
	return err
}

// NewDatabase creates an empty database, dropped when t ends, and returns its URL.
func (s *Server) NewDatabase(t testing.TB, withPassword bool) string {
	t.Helper()
	name := fmt.Sprintf("wxt_%d_%d", os.Getpid(), s.seq.Add(1))
	if err := s.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() { _ = s.Exec("DROP DATABASE IF EXISTS " + name) })
	return s.URL(name, withPassword)
}

// URL is the mysql:// URL of database name on this server.
func (s *Server) URL(name string, withPassword bool) string {
	if withPassword {
		return "mysql://" + User + ":" + Password + "@" + s.Addr + "/" + name
	}
	return "mysql://" + User + "@" + s.Addr + "/" + name
}

// Stop stops mariadbd (SIGTERM, then SIGKILL after 30 s) and removes its directory.
func (s *Server) Stop() {
	s.Halt()
	os.RemoveAll(s.dir)
}

// Halt stops mariadbd and keeps its data, for Restart: the database becomes unreachable.
func (s *Server) Halt() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	terminate(cmd.Process)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// Restart starts a halted server again on the same address; a running one is left alone (a
// second mariadbd on the same data would die, while the first answered its pings).
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return nil
	}
	var err error
	for range 20 { // the old socket may linger in TIME_WAIT a moment
		if err = s.start(); err == nil || !strings.Contains(err.Error(), "exited") {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}

// Kill kills mariadbd with SIGKILL (no shutdown, no flush: at once, however busy the machine)
// and keeps its data, for Restart.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-done
	}
}

// Crash kills mariadbd and starts it again on the same data and address: what survives was
// committed durably.
func (s *Server) Crash() error {
	s.Kill()
	return s.Restart()
}
