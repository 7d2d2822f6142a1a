package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/cli"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// simRun runs `wxauth sim …` to completion.
func simRun(args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = cli.Main(append([]string{"sim"}, args...), strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestSimPrintWorldLoadsBack(t *testing.T) {
	code, out, errOut := simRun("--print-world")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := wxsim.LoadWorld(path)
	if err != nil {
		t.Fatalf("the printed world does not load: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(w, wxsim.DefaultWorld()) {
		t.Error("the printed world is not the built-in one")
	}
	if !strings.Contains(out, `"component_appsecret": "`+wxsim.DefaultWorld().Platforms[0].ComponentAppSecret+`"`) || !strings.Contains(out, "\n  ") {
		t.Errorf("--print-world must be indented JSON with the secrets:\n%s", out)
	}

	// With --world and overrides it prints the completed world.
	code, out, errOut = simRun("--print-world", "--world", "../testdata/worlds/minimal.json", "--push-interval", "90s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var printed wxsim.World
	if err := json.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatal(err)
	}
	if printed.Settings.PushInterval.D() != 90*time.Second || printed.Settings.TicketRepeats != 2 || printed.Platforms[0].ComponentAppID != "wx134c8103faa5a59e" {
		t.Errorf("printed world %+v", printed.Settings)
	}
}

func TestSimUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"platforms":[{"component_appid":"wx134c8103faa5a59e","component_appsecret":"0123456789abcdef0123456789abcdef","token":"AAAAA","encoding_aes_key":"short"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad world", []string{"--world", bad}, []string{"bad.json", "platforms[0].encoding_aes_key", "must be 43 characters [A-Za-z0-9], got 5"}},
		{"bad world with --print-world", []string{"--world", "../testdata/worlds/bad/bad-kind.json", "--print-world"}, []string{"accounts[0].kind"}},
		{"missing world", []string{"--world", filepath.Join(t.TempDir(), "nope.json")}, []string{"reading world file"}},
		{"speed", []string{"--speed", "0", "--print-world"}, []string{"--speed must be greater than 0"}},
		{"push interval", []string{"--push-interval", "10ms", "--print-world"}, []string{"--push-interval must be at least 1s"}},
		{"unknown flag", []string{"--nope"}, []string{"unknown flag"}},
		{"argument", []string{"extra"}, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := simRun(tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

// lineBuffer collects output written by the command's goroutine.
type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSimServesUntilSignal runs the command for real: it listens on a free port, prints the
// address first and a masked summary, serves the API, and exits 0 on SIGTERM (sent to this
// process while sim is running, so cli.Main's signal context catches it; this test is not
// parallel, so no other cli.Main sees the signal).
func TestSimServesUntilSignal(t *testing.T) {
	var out, errOut lineBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main([]string{"sim", "--addr", "127.0.0.1:0", "--world", "../testdata/worlds/minimal.json",
			"--push-interval", "1m", "--speed", "10"}, strings.NewReader(""), &out, &errOut)
	}()
	listening := regexp.MustCompile(`^sim: listening on (http://127\.0\.0\.1:\d+)$`)
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		select {
		case code := <-done:
			t.Fatalf("sim exited %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
		default:
		}
		if first, _, ok := strings.Cut(out.String(), "\n"); ok {
			m := listening.FindStringSubmatch(first)
			if m == nil {
				t.Fatalf("first line %q", first)
			}
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatal("sim did not print its address within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	stop := func() int {
		t.Helper()
		stopped = true
		if err := terminateSelf(); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-done:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("sim did not stop on SIGTERM")
			return -1
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})

	summary := out.String()
	for _, want := range []string{"ticket push every 1m0s", "clock ×10", "platform wx134c8103faa5a59e", "appsecret 0123…", "encoding_aes_key AAAA…",
		"wxba5fad812f8e6fb9  gh_97417a04a28d  mini program", "测试小程序", "event_url    (none"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(summary, "0123456789abcdef0123456789abcdef") || strings.Contains(summary, strings.Repeat("A", 43)) {
		t.Errorf("summary shows a secret:\n%s", summary)
	}

	// The server answers: a ticket from the control API, a token from the component API.
	resp, err := http.Post(base+"/sim/push-ticket", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var pt struct {
		Ticket string `json:"component_verify_ticket"`
	}
	err = json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&pt)
	resp.Body.Close()
	if err != nil || pt.Ticket == "" {
		t.Fatalf("push-ticket: %v %+v", err, pt)
	}
	c := wxapi.NewClient(nil, wxapi.WithBaseURL(base))
	tok, err := c.ComponentToken(context.Background(), "wx134c8103faa5a59e", "0123456789abcdef0123456789abcdef", pt.Ticket)
	if err != nil || tok.ExpiresIn != 7200 {
		t.Fatalf("ComponentToken against `wxauth sim`: %+v, %v", tok, err)
	}

	if code := stop(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\nstderr: %s", code, errOut.String())
	}
	if !strings.HasSuffix(out.String(), "sim: stopped\n") {
		t.Errorf("stdout ends %q", out.String())
	}
}
