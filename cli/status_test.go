package cli_test

import (
	"strings"
	"testing"
)

// TestStatusExplainsIPWhitelist: WeChat refusing this machine's IP (61004) is something only
// the user can fix: token exits 3 naming the IP, and status shows the side state, its remedy
// and the event with the IP to whitelist.
func TestStatusExplainsIPWhitelist(t *testing.T) {
	e := newSimEnv(t)
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	if err := e.sim.SetIPWhitelist(sandboxAppID, []string{"203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	r := wx(t, e.db, "", "token")
	if r.code != 3 || !strings.Contains(r.err, "61004") || !strings.Contains(r.err, "127.0.0.1") {
		t.Fatalf("token from a non-whitelisted IP: exit %d, stderr %s", r.code, r.err)
	}
	var st struct {
		Platforms []struct {
			State      string `json:"state"`
			SideStates []struct {
				State  string `json:"state"`
				Remedy string `json:"remedy"`
			} `json:"side_states"`
			Events []struct {
				Level   string `json:"level"`
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"events"`
		} `json:"platforms"`
	}
	wxJSON(t, e.db, &st, "status")
	p := st.Platforms[0]
	if p.State != "TicketReady" || len(p.SideStates) != 1 || p.SideStates[0].State != "IPNotWhitelisted" ||
		!strings.Contains(p.SideStates[0].Remedy, "白名单IP地址列表") {
		t.Errorf("status: %+v", p)
	}
	found := false
	for _, ev := range p.Events {
		if ev.Code == 61004 && ev.Level == "error" && strings.Contains(ev.Message, "Add 127.0.0.1 to this platform's whitelist") {
			found = true
		}
	}
	if !found {
		t.Errorf("no 61004 event naming the IP: %+v", p.Events)
	}
	text := wxOK(t, e.db, "status").out
	for _, want := range []string{"TicketReady  [IPNotWhitelisted]", "! IPNotWhitelisted:", "→ Add 127.0.0.1 to this platform's whitelist"} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
}
