package tui

import (
	"context"
	"strings"
	"testing"
)

// TestClientsScreenAgainstTheSandbox: K opens the clients screen; a adds a client through the
// form, whose key is shown once and copied with c; R gives it a new key, X removes it (each
// after y); the header says where the token API serves.
func TestClientsScreenAgainstTheSandbox(t *testing.T) {
	sb := startSandbox(t)
	m := sandboxModel(t, sb, Options{TokenAPI: func(context.Context) (bool, string) { return true, "127.0.0.1:8766" }})
	drive(t, m, m.apiStatusCmd())
	mustContain(t, view(m), "● token API 127.0.0.1:8766")
	drive(t, m, press(m, "K"))
	mustContain(t, view(m), "Token-service clients", "no client yet")

	press(m, "a")
	typeText(m, "order-svc") // q, K and R are typed, not obeyed, while the form is focused
	press(m, "tab", "tab", "space")
	mustContain(t, view(m), "component token yes", "every authorizer")
	drive(t, m, press(m, "enter"))
	key := m.clients.newKey
	if !strings.HasPrefix(key, "wxa_") || m.clients.keyFor != "order-svc" {
		t.Fatalf("no key shown: %q (%s)\n%s", key, m.status.text, view(m))
	}
	mustContain(t, view(m), "shown only now", key, "order-svc", sb.Platform.ComponentAppID+": all authorizers + component")
	if strings.Contains(m.status.text, key) {
		t.Fatal("the key is on the status line")
	}
	msgs := drive(t, m, press(m, "c"))
	if got, ok := clipboardValue(msgs); !ok || got != key {
		t.Fatalf("c copied %q", got)
	}
	press(m, "esc")
	if strings.Contains(view(m), key) {
		t.Fatal("esc did not hide the key")
	}

	press(m, "R")
	drive(t, m, press(m, "y"))
	rotated := m.clients.newKey
	if rotated == "" || rotated == key {
		t.Fatalf("R gave no new key: %s", m.status.text)
	}
	list, err := sb.Engine.Clients(t.Context())
	if err != nil || len(list) != 1 || list[0].RotatedAt.IsZero() {
		t.Fatalf("after rotate: %+v %v", list, err)
	}
	press(m, "X")
	drive(t, m, press(m, "y"))
	mustContain(t, view(m), "no client yet")
	if list, _ := sb.Engine.Clients(t.Context()); len(list) != 0 {
		t.Fatalf("X did not remove the client: %+v", list)
	}
	press(m, "esc", "esc")
	if m.screen != screenDashboard {
		t.Fatalf("esc left screen %d", m.screen)
	}
}
