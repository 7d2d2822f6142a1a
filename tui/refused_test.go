package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestMistypedPasteKeepsTheSession: in the console on the sandbox, a pasted code with a typo
// is refused by WeChat; the console says so and keeps waiting, the engine's session is still
// pending (the pipeline shows no used pre_auth_code, no failure), and the sandbox merchant's
// approval (x) then completes the authorization.
func TestMistypedPasteKeepsTheSession(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{})
	a := startAuthOnly(t, m)
	press(m, "i")
	typeText(m, "queryauthcode@@@"+strings.Repeat("9", 40))
	drive(t, m, press(m, "enter"))
	mustContain(t, view(m), "the pasted code did not work: api_query_auth: 61009")
	if m.auth.started == nil || m.auth.started.Session.ID != a.Session.ID || m.auth.pasteBusy {
		t.Fatal("the refused paste ended the session in the console")
	}

	// What the engine says, as the pipeline shows it once the run is gone: still waiting.
	s, err := sb.Engine.Session(t.Context(), a.Session.ID)
	if err != nil || s.State != flow.SessionPending || !s.Waiting(sb.Engine.Now()) {
		t.Fatalf("session after the refused paste: %+v %v", s, err)
	}
	drive(t, m, m.requestReload())
	if m.snap.Session == nil || m.snap.Session.ID != a.Session.ID || m.snap.Session.State != flow.SessionPending {
		t.Fatalf("the console's snapshot after the refused paste: %+v", m.snap.Session)
	}
	pre, auth := m.sessionStages(false)
	for _, line := range []string{pre.line1, auth.line1, auth.line2} {
		if strings.Contains(line, "used") || strings.Contains(line, "failed") {
			t.Fatalf("the pipeline shows %q after the refused paste", line)
		}
	}

	// The sandbox merchant approves: the redirect (or the push) completes the same session.
	press(m, "esc") // leave the paste field
	drive(t, m, press(m, "x"))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	done, err := sb.Engine.WaitSession(ctx, a.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); m.auth.started != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the run did not report the session's end")
		}
		drive(t, m, nil)
	}
	mustContain(t, view(m), done.AuthorizerAppID, "authorized; its access token is valid")
}
