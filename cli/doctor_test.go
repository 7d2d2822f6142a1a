package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// doctorReport is `wxauth doctor --json`.
type doctorReport struct {
	PublicURL string `json:"public_url"`
	Failed    bool   `json:"failed"`
	Checks    []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
		TookMS int64  `json:"took_ms"`
	} `json:"checks"`
}

func (r doctorReport) check(t *testing.T, name string) (status, text string) {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c.Status, c.Detail + " — " + c.Fix
		}
	}
	t.Fatalf("no %q check in %+v", name, r)
	return "", ""
}

// runDoctor runs `wxauth doctor --json` with args and decodes its report.
func runDoctor(t *testing.T, db string, wantCode int, args ...string) doctorReport {
	t.Helper()
	r := wx(t, db, "", append([]string{"doctor", "--json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("doctor --json: %v\nstdout: %s\nstderr: %s", err, r.out, r.err)
	}
	if r.code != wantCode {
		t.Fatalf("doctor exit %d, want %d\nstdout: %s\nstderr: %s", r.code, wantCode, r.out, r.err)
	}
	return rep
}

// tunnel is a reverse proxy to the listener on another loopback port, standing in for the
// user's tunnel; wrap (when not nil) makes it misbehave.
func tunnel(t *testing.T, listenAddr string, wrap func(proxy http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: listenAddr})
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a client giving up on a slow tunnel is expected
	var h http.Handler = proxy
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// serveWithTicket starts serve and waits for a pushed ticket to be stored.
func serveWithTicket(t *testing.T, e *simEnv) {
	t.Helper()
	startServe(t, e.db)
	if err := e.sim.PushTicket(context.Background(), sandboxAppID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the ticket", func() bool { return wx(t, e.db, "", "ticket", "show").code == 0 })
}

// TestDoctorThroughTunnel: through a working tunnel registered as the public URL every
// check passes, and the text report has one line per check.
func TestDoctorThroughTunnel(t *testing.T) {
	e := newSimEnv(t)
	// Where wxauth makes the directory itself it is 0700; t.TempDir is not.
	if err := os.Chmod(filepath.Dir(e.db), 0o700); err != nil {
		t.Fatal(err)
	}
	serveWithTicket(t, e)
	tun := tunnel(t, e.addr, nil)
	host := strings.TrimPrefix(tun.URL, "http://")
	wxOK(t, e.db, "platform", "update", "--public-url", tun.URL, "--domain", host)

	rep := runDoctor(t, e.db, 0)
	if rep.Failed || rep.PublicURL != tun.URL {
		t.Fatalf("doctor through a working tunnel: %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Status != "ok" {
			t.Errorf("%s: %s %s — %s", c.Name, c.Status, c.Detail, c.Fix)
		}
	}
	if st, text := rep.check(t, "event URL"); st != "ok" || !strings.Contains(text, "reaches this listener") {
		t.Errorf("event URL: %s %s", st, text)
	}
	if st, text := rep.check(t, "message URL"); st != "ok" || !strings.Contains(text, "echo check") {
		t.Errorf("message URL: %s %s", st, text)
	}
	out := wxOK(t, e.db, "doctor").out
	if n := strings.Count(out, "\n"); n != len(rep.Checks) || !strings.HasPrefix(out, "ok") {
		t.Errorf("text report (%d lines for %d checks):\n%s", n, len(rep.Checks), out)
	}
}

// TestDoctorTunnelFailures: each way a tunnel or proxy breaks pushes fails the event URL
// check with what is wrong, and the doctor exits 1.
func TestDoctorTunnelFailures(t *testing.T) {
	e := newSimEnv(t)
	serveWithTicket(t, e)
	// Generous, so that only the "too slow" tunnel (with its own short limit) ever hits it.
	const timeout, short = 5 * time.Second, 300 * time.Millisecond
	answer := func(body string) func(http.Handler) http.Handler {
		return func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
		}
	}
	delay := func(d time.Duration) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select { // the tunnel's latency; gives up with the client
				case <-time.After(d):
					next.ServeHTTP(w, r)
				case <-r.Context().Done():
				}
			})
		}
	}
	tests := []struct {
		name       string
		wrap       func(http.Handler) http.Handler
		dead       bool
		timeout    time.Duration // default timeout
		wantStatus string
		want       string
	}{
		{name: "another server says success", wrap: answer("success"), wantStatus: "fail", want: "never saw the probe"},
		{name: "HTML error page", wrap: answer("<html><body>502 Bad Gateway</body></html>"), wantStatus: "fail", want: "not exactly `success`"},
		{name: "BOM", wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				w.Write(append([]byte("\ufeff"), rec.Body.Bytes()...))
			})
		}, wantStatus: "fail", want: "byte-order mark"},
		{name: "redirect", wrap: func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			})
		}, wantStatus: "fail", want: "redirects (HTTP 301"},
		{name: "too slow", wrap: delay(short + 200*time.Millisecond), timeout: short, wantStatus: "fail", want: "no answer within 300ms"},
		{name: "slow", wrap: delay(200 * time.Millisecond), wantStatus: "warn", want: "answers `success` but took"},
		{name: "dead", dead: true, wantStatus: "fail", want: "is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			public := "http://" + freeAddr(t)
			if !tt.dead {
				public = tunnel(t, e.addr, tt.wrap).URL
			}
			limit := timeout
			if tt.timeout != 0 {
				limit = tt.timeout
			}
			rep := runDoctor(t, e.db, 1, "--public-url", public, "--timeout", limit.String(), "--slow", "100ms")
			if rep.PublicURL != public {
				t.Errorf("public_url %q, want %q", rep.PublicURL, public)
			}
			st, text := rep.check(t, "event URL")
			if st != tt.wantStatus || !strings.Contains(text, tt.want) {
				t.Errorf("event URL: %s %q, want %s containing %q", st, text, tt.wantStatus, tt.want)
			}
			// The tunnel's host is not the registered domain: said so, with the fix.
			if st, text := rep.check(t, "auth domain"); st != "fail" || !strings.Contains(text, "授权发起页域名") {
				t.Errorf("auth domain: %s %s", st, text)
			}
			// The listener itself is fine whatever the tunnel does.
			if st, text := rep.check(t, "listener"); st != "ok" {
				t.Errorf("listener: %s %s", st, text)
			}
		})
	}
}

// TestDoctorNoListener: without serve, the doctor says nothing listens and how to start it;
// without a ticket, how to get one. The text report says fail and the fix.
func TestDoctorNoListener(t *testing.T) {
	e := newSimEnv(t)
	rep := runDoctor(t, e.db, 1)
	if st, text := rep.check(t, "listener"); st != "fail" || !strings.Contains(text, "nothing listens on "+e.addr) || !strings.Contains(text, "wxauth serve") {
		t.Errorf("listener: %s %s", st, text)
	}
	if st, text := rep.check(t, "event URL"); st != "fail" || !strings.Contains(text, "wxauth serve") {
		t.Errorf("event URL: %s %s", st, text)
	}
	if st, text := rep.check(t, "ticket"); st != "fail" || !strings.Contains(text, "wxauth ticket push") {
		t.Errorf("ticket: %s %s", st, text)
	}
	if st, text := rep.check(t, "database"); st != "warn" || !strings.Contains(text, "chmod 0700 "+filepath.Dir(e.db)) {
		t.Errorf("database in a 0755 directory: %s %s", st, text)
	}
	r := wx(t, e.db, "", "doctor")
	if r.code != 1 || !strings.Contains(r.out, "fail  listener") || !bytes.Contains([]byte(r.err), []byte("the doctor found failures")) {
		t.Errorf("doctor text: exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
}

// TestDoctorAPIAccess: a refused IP names the IP WeChat saw; a wrong AppSecret says so.
func TestDoctorAPIAccess(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *simEnv)
		want  []string
	}{
		{name: "IP not whitelisted", setup: func(t *testing.T, e *simEnv) {
			if err := e.sim.SetIPWhitelist(sandboxAppID, []string{"203.0.113.7"}); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"61004", "WeChat saw the IP 127.0.0.1", "whitelist"}},
		{name: "wrong AppSecret", setup: func(t *testing.T, e *simEnv) {
			t.Setenv("WXAUTH_APPSECRET", "0123456789abcdef0123456789abcdef")
			wxOK(t, e.db, "platform", "update")
		}, want: []string{"40125"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSimEnv(t)
			wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
			tt.setup(t, e)
			rep := runDoctor(t, e.db, 1)
			st, text := rep.check(t, "API access")
			if st != "fail" {
				t.Errorf("API access: %s %s", st, text)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("API access lacks %q: %s", w, text)
				}
			}
		})
	}
}

// TestDoctorForeignListener: another server on the listen address (answering `success` to
// anything) is not taken for wxauth, nor is its launch page.
func TestDoctorForeignListener(t *testing.T) {
	e := newSimEnv(t)
	ln, err := net.Listen("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "success") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	rep := runDoctor(t, e.db, 1)
	if st, text := rep.check(t, "listener"); st != "fail" || !strings.Contains(text, "not a wxauth listener of this database") {
		t.Errorf("listener: %s %s", st, text)
	}
	if st, text := rep.check(t, "event URL"); st != "fail" || !strings.Contains(text, "never saw the probe") {
		t.Errorf("event URL: %s %s", st, text)
	}
	if st, text := rep.check(t, "launch page"); st != "fail" || !strings.Contains(text, "not served by wxauth") {
		t.Errorf("launch page: %s %s", st, text)
	}
	if st, text := rep.check(t, "message URL"); st != "fail" || !strings.Contains(text, "echo check") {
		t.Errorf("message URL: %s %s", st, text)
	}
}
