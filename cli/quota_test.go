package cli_test

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestQuotaShowAndClear(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	wxOK(t, e.db, "token")
	var got struct {
		ComponentAppID string         `json:"component_appid"`
		CallsToday     map[string]int `json:"calls_today"`
		Exhausted      bool           `json:"quota_exhausted"`
	}
	wxJSON(t, e.db, &got, "quota")
	if got.ComponentAppID != sandboxAppID || got.CallsToday["api_component_token"] != 1 || got.Exhausted {
		t.Fatalf("quota --json = %+v", got)
	}
	if r := wxOK(t, e.db, "quota"); !strings.Contains(r.out, "api_component_token") {
		t.Fatalf("quota text:\n%s", r.out)
	}
	// It spends one of ten monthly resets: without a terminal to ask on, only --yes does it.
	if r := wx(t, e.db, "", "quota", "clear"); r.code != 2 || !strings.Contains(r.err, "pass --yes") {
		t.Fatalf("quota clear without a terminal or --yes: exit %d\n%s", r.code, r.err)
	}
	if r := wxOK(t, e.db, "quota", "clear", "--yes"); !strings.Contains(r.out, "cleared") {
		t.Fatalf("quota clear --yes:\n%s", r.out)
	}
	var after struct {
		CallsToday map[string]int `json:"calls_today"`
	}
	wxJSON(t, e.db, &after, "quota")
	if after.CallsToday["clear_quota/v2"] != 1 {
		t.Fatalf("clear_quota/v2 not counted: %v", after.CallsToday)
	}
}

// TestQuotaClearAsksOnATerminal: on a terminal, quota clear asks; anything but yes clears nothing.
func TestQuotaClearAsksOnATerminal(t *testing.T) {
	e := newSimEnv(t)
	for _, tc := range []struct {
		answer string
		code   int
		calls  int // clear_quota/v2 calls after the answer
	}{
		{"n", 1, 0},
		{"", 1, 0},
		{"y", 0, 1},
	} {
		master, slave := openPTY(t)
		go io.Copy(io.Discard, master)
		clear := startWXOn(t, e.db, slave, "quota", "clear")
		waitFor(t, 5*time.Second, "the question", func() bool {
			return strings.HasSuffix(clear.err.String(), "10 resets WeChat allows each month. [y/N] ")
		})
		if _, err := master.WriteString(tc.answer + "\n"); err != nil {
			t.Fatal(err)
		}
		if code := clear.wait(t, 10*time.Second); code != tc.code {
			t.Fatalf("answer %q: exit %d, want %d\nstderr: %s", tc.answer, code, tc.code, clear.err.String())
		}
		var after struct {
			CallsToday map[string]int `json:"calls_today"`
		}
		wxJSON(t, e.db, &after, "quota")
		if after.CallsToday["clear_quota/v2"] != tc.calls {
			t.Fatalf("answer %q: clear_quota/v2 called %d times, want %d", tc.answer, after.CallsToday["clear_quota/v2"], tc.calls)
		}
	}
}
