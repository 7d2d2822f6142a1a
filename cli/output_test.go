package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxsim"
)

// forgedAppID is what an unauthenticated push can put in its AppId: retitle the terminal
// window, return the carriage and overwrite the line with a fake "renewed".
const forgedAppID = "\x1b]0;pwned\x07\r[fake] renewed"

// postForgedPush sends a push no one signed, for a platform nobody configured, to the listener.
func postForgedPush(t *testing.T, base string) {
	t.Helper()
	body := "<xml><AppId>" + forgedAppID + "</AppId><Encrypt>AAAA</Encrypt></xml>"
	resp, err := http.Post(base+"/wechat/events?timestamp=1&nonce=2&msg_signature=3", "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("forged push: HTTP %d, want 404", resp.StatusCode)
	}
}

// assertNoRawControls fails when s holds a character that would act on a terminal.
func assertNoRawControls(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
			t.Fatalf("%s holds a raw %U:\n%q", what, r, s)
		}
	}
}

// TestServeEventsEscapeForgedPushes: serve prints events on stderr; an unauthenticated push's
// AppId reaches them escaped (text) or JSON-escaped (--json), never raw.
func TestServeEventsEscapeForgedPushes(t *testing.T) {
	for _, mode := range []string{"text", "json"} {
		t.Run(mode, func(t *testing.T) {
			e := newSimEnv(t)
			var args []string
			if mode == "json" {
				args = []string{"--json"}
			}
			serve, stop := startServe(t, e.db, args...)
			postForgedPush(t, e.public)
			waitFor(t, 10*time.Second, "serve to report the rejected push", func() bool {
				return strings.Contains(serve.err.String(), "push rejected")
			})
			if code := stop(); code != 0 {
				t.Fatalf("serve exit %d", code)
			}
			log := serve.err.String()
			assertNoRawControls(t, "serve's stderr", log)
			if mode == "text" {
				if !strings.Contains(log, `\x1b]0;pwned\a\r[fake] renewed`) {
					t.Errorf("the forged AppId is not shown escaped:\n%s", log)
				}
				for _, line := range strings.Split(log, "\n") {
					if strings.HasPrefix(line, "[fake]") {
						t.Errorf("a forged line: %q", line)
					}
				}
				return
			}
			// JSON lines keep the value itself, escaped by JSON.
			found := false
			for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
				if !strings.HasPrefix(line, "{") {
					continue
				}
				var ev map[string]any
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("serve --json line %q: %v", line, err)
				}
				found = found || ev["component_appid"] == forgedAppID
			}
			if !found {
				t.Errorf("no JSON event carries the forged AppId:\n%s", log)
			}
		})
	}
}

// TestNickNamesEscapedInTables: a nick name is WeChat's (or whoever answers at the API base);
// `authorizers`, `status` and the authorize result show its control characters escaped.
func TestNickNamesEscapedInTables(t *testing.T) {
	const weirdName = "拾光\x1b[2J\x1b]0;pwned\x07咖啡\u202e点单"
	world := wxsim.DefaultWorld()
	for i := range world.Accounts {
		if world.Accounts[i].AppID == coffeeAppID {
			world.Accounts[i].NickName = weirdName
		}
	}
	e := newSimEnvWorld(t, world)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	s := startSession(t, e.db)
	res := e.approve(t, s, coffeeAppID, true)
	for _, args := range [][]string{
		{"authorize", "--no-browser", "--code", res.RedirectURL},
		{"authorizers"},
		{"status"},
	} {
		r := wxOK(t, e.db, args...)
		assertNoRawControls(t, strings.Join(args, " ")+" stdout", r.out)
		assertNoRawControls(t, strings.Join(args, " ")+" stderr", r.err)
		if !strings.Contains(r.out, `拾光\x1b[2J\x1b]0;pwned\a咖啡\u202e点单`) {
			t.Errorf("%s does not show the escaped name:\n%s", args[0], r.out)
		}
	}
	// --json keeps the name itself: JSON escapes what needs escaping.
	var list []map[string]any
	wxJSON(t, e.db, &list, "authorizers")
	if len(list) != 1 || list[0]["nick_name"] != weirdName {
		t.Errorf("authorizers --json: %v", list)
	}
}

// TestExitCodesOfBadInput: what the user typed wrong is a usage error (2), naming the problem.
func TestExitCodesOfBadInput(t *testing.T) {
	e := newSimEnv(t)
	cases := []struct {
		name    string
		stdin   string
		args    []string
		want    string
		notWant string
	}{
		{"--platform that is no appid", "", []string{"--platform", "notanappid", "status"}, `--platform "notanappid" is not a component appid`, ""},
		{"--platform that is no appid, token", "", []string{"--platform", "notanappid", "token"}, "is not a component appid", ""},
		{"platform add with a short --aes-key", sandboxSecret + "\n", []string{"platform", "add", "--appid", "wx0123456789abcdef",
			"--token", "tok", "--aes-key", "short", "--domain", "a.example.com"}, "invalid EncodingAESKey ($WXAUTH_AES_KEY, --aes-key-file or --aes-key)", ""},
		{"push decrypt with a short --aes-key", "x", []string{"push", "decrypt", "--token", "T", "--aes-key", "short"}, "--aes-key: -40004", ""},
		{"push decrypt without input", "", []string{"push", "decrypt", "--token", "T", "--aes-key", sandboxAESKey}, "no input", ""},
		{"serve --listen nope", "", []string{"serve", "--listen", "nope"}, `the listen address "nope" is malformed`, "another"},
		{"serve --listen without a port number", "", []string{"serve", "--listen", "127.0.0.1:http"}, "malformed", "another"},
		{"ticket push --wait negative", "", []string{"ticket", "push", "--wait", "-1s"}, "--wait must not be negative", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := wx(t, e.db, tc.stdin, tc.args...)
			if r.code != 2 || !strings.Contains(r.err, tc.want) || (tc.notWant != "" && strings.Contains(r.err, tc.notWant)) {
				t.Errorf("exit %d (want 2), stderr %q (want %q, not %q)", r.code, r.err, tc.want, tc.notWant)
			}
		})
	}
}

// TestJSONErrors: with --json, a failure is one JSON object on stderr (stdout stays empty):
// error, remedy and the exit code.
func TestJSONErrors(t *testing.T) {
	db := tempDB(t)
	cases := []struct {
		name       string
		args       []string
		code       int
		error      string
		withRemedy bool
	}{
		{"waiting on the user", []string{"--json", "token"}, 3, "no platform is configured", true},
		{"usage", []string{"--json", "--platform", "nope", "status"}, 2, `--platform "nope" is not a component appid`, false},
		{"cobra's own flag error", []string{"token", "--bogus", "--json"}, 2, "unknown flag: --bogus", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := wx(t, db, "", tc.args...)
			var got struct {
				Error    string `json:"error"`
				Remedy   string `json:"remedy"`
				ExitCode int    `json:"exit_code"`
			}
			if err := json.Unmarshal([]byte(r.err), &got); err != nil {
				t.Fatalf("stderr is not one JSON object: %v\n%s", err, r.err)
			}
			if r.code != tc.code || got.ExitCode != tc.code || !strings.Contains(got.Error, tc.error) ||
				(got.Remedy != "") != tc.withRemedy || r.out != "" || strings.Contains(got.Error, "what to do") {
				t.Errorf("exit %d, stdout %q, stderr %+v", r.code, r.out, got)
			}
		})
	}
	// Without --json the same failure is text, the remedy on its own line.
	r := wx(t, db, "", "token")
	if r.code != 3 || r.err != "wxauth: no platform is configured\n  what to do: add one with `wxauth platform add`, or try the sandbox with `wxauth demo`\n" {
		t.Errorf("text error: exit %d, %q", r.code, r.err)
	}
}

func TestVersion(t *testing.T) {
	db := tempDB(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := wxOK(t, db, args...)
		if !strings.HasPrefix(r.out, "wxauth ") || !strings.Contains(r.out, "  go      go1.") {
			t.Errorf("wxauth %s:\n%s", args[0], r.out)
		}
	}
	var v map[string]any
	wxJSON(t, db, &v, "version")
	if gv, _ := v["go_version"].(string); !strings.HasPrefix(gv, "go1.") || v["version"] == "" || v["platform"] == "" {
		t.Errorf("version --json: %v", v)
	}
	if r := wx(t, db, "", "status", "--version"); r.code != 2 {
		t.Errorf("--version is the root's flag only: exit %d", r.code)
	}
}

// TestTicketPushWaitsForTheTicket: ticket push returns once serve has stored the pushed ticket;
// with nothing listening it says so, with the event URL, and exits 3.
func TestTicketPushWaitsForTheTicket(t *testing.T) {
	e := newSimEnv(t)
	r := wx(t, e.db, "", "ticket", "push", "--wait", "500ms")
	if r.code != 3 || !strings.Contains(r.err, "no component_verify_ticket arrived within 500ms") ||
		!strings.Contains(r.err, "is `wxauth serve` running") || !strings.Contains(r.err, e.public+"/wechat/events") {
		t.Fatalf("ticket push with no listener: exit %d\nstderr: %s", r.code, r.err)
	}

	_, stop := startServe(t, e.db)
	r = wxOK(t, e.db, "ticket", "push")
	if !strings.Contains(r.out, "ticket received for "+sandboxAppID) {
		t.Fatalf("ticket push: %s\nstderr: %s", r.out, r.err)
	}
	// The ticket is there for the next command at once: no sleep needed.
	wxOK(t, e.db, "token")
	var got map[string]any
	wxJSON(t, e.db, &got, "ticket", "push")
	if got["received"] != true || got["received_at"] == nil {
		t.Errorf("ticket push --json: %v", got)
	}
	stop()
}
