package cli_test

import (
	"strings"
	"testing"
)

// TestTicketPush: `ticket push` calls api_start_push_ticket; the simulator then pushes a
// ticket to the event URL, where serve stores it, and ticket push returns once it is there.
func TestTicketPush(t *testing.T) {
	e := newSimEnv(t)
	_, stop := startServe(t, e.db)
	r := wxOK(t, e.db, "ticket", "push")
	if !strings.Contains(r.err, "WeChat will push a ticket to "+e.public+"/wechat/events now; waiting for it") ||
		!strings.Contains(r.out, "ticket received for "+sandboxAppID) {
		t.Errorf("ticket push: stdout %s\nstderr %s", r.out, r.err)
	}
	var tk map[string]any
	wxJSON(t, e.db, &tk, "ticket", "show")
	if tk["ticket"] != e.sim.CurrentTicket(sandboxAppID) || tk["source"] != "push" {
		t.Errorf("ticket after push: %v", tk)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	// A ticket set by hand now is newer than the pushed one, so it becomes current; the
	// pushed one stays in the history.
	var set map[string]any
	wxJSON(t, e.db, &set, "ticket", "set", "ticket@@@from-a-log")
	if set["current"] != true {
		t.Errorf("ticket set: %v", set)
	}
}
