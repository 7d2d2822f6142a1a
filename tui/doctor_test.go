package tui

import (
	"fmt"
	"strings"
	"testing"
)

// TestDoctorKey: D runs the engine's checks for the platform shown and lists them, one line
// each, the failures with their fix; r runs them again; esc goes back to the dashboard.
func TestDoctorKey(t *testing.T) {
	sb := priorSandbox(t)
	m := sandboxModel(t, sb, Options{})
	drive(t, m, press(m, "D"))
	if m.screen != screenDoctor || m.doctor.running {
		t.Fatalf("after D: screen %v, running %v", m.screen, m.doctor.running)
	}
	v := view(m)
	mustContain(t, v, "Doctor", "event URL", "message URL", "launch page", "auth domain", "listener", "API access", "ticket", "clock", "database")
	if len(m.doctor.rep.Checks) != 9 {
		t.Fatalf("%d checks: %+v", len(m.doctor.rep.Checks), m.doctor.rep)
	}
	for _, c := range m.doctor.rep.Checks {
		if !strings.Contains(v, fmt.Sprintf(" %-4s  %-12s ", c.Status, c.Name)) {
			t.Errorf("check %s (%s) not shown with its status:\n%s", c.Name, c.Status, v)
		}
		if c.Status != "ok" && c.Fix != "" && !strings.Contains(v, "→ "+c.Fix[:min(20, len(c.Fix))]) {
			t.Errorf("check %s: fix not shown:\n%s", c.Name, v)
		}
	}
	drive(t, m, press(m, "r"))
	if m.screen != screenDoctor || len(m.doctor.rep.Checks) != 9 {
		t.Fatalf("after r: screen %v, %d checks", m.screen, len(m.doctor.rep.Checks))
	}
	press(m, "esc")
	if m.screen != screenDashboard {
		t.Fatalf("esc left the screen at %v", m.screen)
	}
}
