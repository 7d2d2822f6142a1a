package cli_test

import (
	"strings"
	"testing"
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
	if r := wxOK(t, e.db, "quota", "clear"); !strings.Contains(r.out, "cleared") {
		t.Fatalf("quota clear:\n%s", r.out)
	}
	var after struct {
		CallsToday map[string]int `json:"calls_today"`
	}
	wxJSON(t, e.db, &after, "quota")
	if after.CallsToday["clear_quota/v2"] != 1 {
		t.Fatalf("clear_quota/v2 not counted: %v", after.CallsToday)
	}
}
