package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"wxauth/cli"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// TestTokenWithoutTicket: before the first push nothing can be minted; only the user can fix
// that, so the exit status is 3 and stderr says what to do.
func TestTokenWithoutTicket(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	for _, args := range [][]string{{"token"}, {"token", "component"}, {"token", "--json"}} {
		// A database each: a failed mint leaves the lease held by the exited process until
		// its TTL (engine behaviour, reported), which would delay the next call 30 s.
		db := tempDB(t)
		wxOK(t, db, validAdd(nil)...)
		r := wx(t, db, "", args...)
		if r.code != 3 {
			t.Errorf("%v: exit %d, want 3\nstderr: %s", args, r.code, r.err)
		}
		if r.out != "" {
			t.Errorf("%v: stdout %q, want nothing", args, r.out)
		}
		remedy := "what to do:"
		if args[len(args)-1] == "--json" {
			remedy = `"remedy":` // one JSON object: {"error", "remedy", "exit_code"}
		}
		for _, want := range []string{"no component_verify_ticket has arrived yet", remedy, "wxauth ticket push", "https://auth.example.com/wechat/events"} {
			if !strings.Contains(r.err, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.err)
			}
		}
	}
}

func TestTokenUsage(t *testing.T) {
	db := tempDB(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{args: []string{"token", "nonsense"}, code: 2, want: "neither"},
		{args: []string{"token", "component", "extra"}, code: 2, want: "accepts at most 1 arg"},
		{args: []string{"token"}, code: 3, want: "no platform is configured"},
	}
	for _, tt := range tests {
		r := wx(t, db, "", tt.args...)
		if r.code != tt.code || !strings.Contains(r.err, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.err, tt.code, tt.want)
		}
	}
}

func TestSeveralPlatformsNeedPlatformFlag(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(nil)...)
	wxOK(t, db, validAdd(map[string]string{"--appid": "wx0123456789abcdef", "--domain": "b.example.com"})...)
	r := wx(t, db, "", "token")
	if r.code != 3 || !strings.Contains(r.err, "--platform") {
		t.Fatalf("token with two platforms: exit %d, stderr %s", r.code, r.err)
	}
	r = wx(t, db, "", "--platform", "wx0123456789abcdef", "token")
	if r.code != 3 || !strings.Contains(r.err, "b.example.com") {
		t.Errorf("token --platform: exit %d, stderr %s", r.code, r.err)
	}
}

// TestHelpHasExamples: every headless command documents itself with examples.
func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range [][]string{
		{"platform"}, {"platform", "add"}, {"platform", "list"}, {"platform", "show"}, {"platform", "remove"},
		{"serve"}, {"authorize"}, {"token"}, {"authorizers"}, {"export"},
		{"ticket"}, {"ticket", "show"}, {"ticket", "set"}, {"ticket", "push"}, {"status"}, {"quota", "clear"}, {"version"},
	} {
		r := wx(t, tempDB(t), "", append(cmd, "--help")...)
		if r.code != 0 || !strings.Contains(r.out, "Examples:") || !strings.Contains(r.out, "wxauth "+cmd[0]) {
			t.Errorf("%v --help: exit %d, no examples:\n%s", cmd, r.code, r.out)
		}
	}
}

func TestTicketWithoutPush(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(nil)...)
	r := wx(t, db, "", "ticket", "show", "--json")
	if r.code != 3 || r.out != "" || !strings.Contains(r.err, "wxauth ticket push") {
		t.Errorf("ticket show with none: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
	if r := wx(t, db, "", "ticket", "set", "  "); r.code != 2 {
		t.Errorf("ticket set with a blank ticket: exit %d, want 2 (%s)", r.code, r.err)
	}
	wxOK(t, db, "ticket", "set", "ticket@@@copied-from-a-log")
	var got map[string]any
	wxJSON(t, db, &got, "ticket", "show")
	if got["ticket"] != "ticket@@@copied-from-a-log" || got["component_appid"] != sandboxAppID {
		t.Errorf("ticket show after set: %v", got)
	}
	r = wxOK(t, db, "ticket", "show")
	if strings.Contains(r.out, "copied-from-a-log") || !strings.Contains(r.out, "manual") {
		t.Errorf("ticket show text should mask the ticket and name its source:\n%s", r.out)
	}
}

func TestServeWithoutPlatform(t *testing.T) {
	r := wx(t, tempDB(t), "", "serve")
	if r.code != 3 || !strings.Contains(r.err, "platform add") {
		t.Errorf("serve with no platform: exit %d, stderr %s", r.code, r.err)
	}
}

func TestStatusWithoutPlatform(t *testing.T) {
	db := tempDB(t)
	r := wxOK(t, db, "status")
	if !strings.Contains(r.out, "NeedConfig") {
		t.Errorf("status: %s", r.out)
	}
	var st struct {
		Platforms []any `json:"platforms"`
	}
	wxJSON(t, db, &st, "status")
	if st.Platforms == nil || len(st.Platforms) != 0 {
		t.Errorf("status --json platforms = %v, want []", st.Platforms)
	}
}

// BenchmarkTokenStored is what a script pays per `wxauth token APPID` once the token is
// stored: opening the database, reading, printing (no WeChat call).
func BenchmarkTokenStored(b *testing.B) {
	e := newSimEnv(b)
	e.authorizeByPaste(b, coffeeAppID)
	for b.Loop() {
		var out, errOut bytes.Buffer
		if code := cli.Main([]string{"--db", e.db, "token", coffeeAppID}, strings.NewReader(""), &out, &errOut); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
}

// TestTokenRenewWhileServeRuns: `token --renew` while `serve` holds the lease goes through the
// store to serve, which renews; when WeChat fails every call, `token` says so with the errcode
// and rid and exits 1 (not 3: nothing is the user's to fix), and `status` counts the faults.
func TestTokenRenewWhileServeRuns(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t)
	startServe(t, e.db)
	if err := e.sim.PushTicket(ctx, sandboxAppID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "serve to mint the component token", func() bool {
		return e.sim.Stats().ComponentTokensMinted == 1
	})
	before := strings.TrimSpace(wxOK(t, e.db, "token").out)
	after := strings.TrimSpace(wxOK(t, e.db, "token", "--renew").out)
	if after == before || !e.checkToken(t, after).Valid {
		t.Fatalf("token --renew printed %q (before %q), want a new valid token", after, before)
	}

	e.sim.SetFaults(wxsim.Faults{Path: wxapi.PathComponentToken, ErrCode: -1})
	r := wx(t, e.db, "", "token", "--renew")
	if r.code != 1 || !strings.Contains(r.err, "-1") || !strings.Contains(r.err, "rid") || strings.Contains(r.err, "has not renewed") {
		t.Fatalf("token --renew against a failing WeChat: exit %d\nstderr: %s", r.code, r.err)
	}
	var st struct {
		Platforms []struct {
			Faults map[string]int `json:"faults_last_hour"`
		} `json:"platforms"`
	}
	wxJSON(t, e.db, &st, "status")
	if st.Platforms[0].Faults["-1"] == 0 {
		t.Errorf("status faults_last_hour = %v, want the -1 answers", st.Platforms[0].Faults)
	}
	if out := wxOK(t, e.db, "status").out; !strings.Contains(out, "WeChat faults") {
		t.Errorf("status does not show the faults:\n%s", out)
	}
}
