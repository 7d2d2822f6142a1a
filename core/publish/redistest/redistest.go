// Package redistest starts a real redis-server for tests: on a free loopback port, in a
// throwaway directory, without persistence, stopped when the test ends. Without the binary the
// test is skipped, unless WXAUTH_TEST_REDIS=required (CI installs redis-server and sets it).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process.
type Server struct {
	t        *testing.T
	bin      string
	dir      string
	Port     int
	Password string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Start runs a redis-server requiring password (none when empty); the test skips when the
// binary is missing and WXAUTH_TEST_REDIS is not "required".
func Start(t *testing.T, password string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		for _, p := range []string{"/usr/bin/redis-server", "/usr/local/bin/redis-server"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("WXAUTH_TEST_REDIS") == "required" {
			t.Fatal("redis-server is not installed and WXAUTH_TEST_REDIS=required: apt-get install redis-server")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); set WXAUTH_TEST_REDIS=required to fail instead")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), Password: password, Port: freePort(t)}
	s.launch()
	t.Cleanup(s.Stop)
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the server's redis:// URL with the password and db.
func (s *Server) URL(db int) string {
	auth := ""
	if s.Password != "" {
		auth = ":" + s.Password + "@"
	}
	return fmt.Sprintf("redis://%s127.0.0.1:%d/%d", auth, s.Port, db)
}

// Client is a go-redis client on db, closed at the end of the test.
func (s *Server) Client(db int) *redis.Client {
	opt, err := redis.ParseURL(s.URL(db))
	if err != nil {
		s.t.Fatal(err)
	}
	c := redis.NewClient(opt)
	s.t.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) launch() {
	s.t.Helper()
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log")}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	s.cmd = exec.Command(s.bin, args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(s.cmd, s.done)
	c := s.Client(0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server did not answer within 30 s: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server (its data is lost: there is no persistence).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.launch()
}
