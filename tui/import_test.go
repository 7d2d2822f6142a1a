package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

// priorSandbox is the sandbox whose four accounts authorized the platform before wxauth knew
// it (through another system), ticket in hand.
func priorSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	w := wxsim.DefaultWorld()
	for _, a := range w.Accounts {
		w.Authorizations = append(w.Authorizations, wxsim.PriorAuthorization{ComponentAppID: w.Platforms[0].ComponentAppID, AuthorizerAppID: a.AppID})
	}
	ctx := t.Context()
	sb, err := sandbox.Start(ctx, sandbox.Options{DBPath: t.TempDir() + "/wxauth.db", World: &w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return sb
}

// TestImportKey: I adopts the accounts already authorized to the platform; they appear
// healthy, and pressing it again changes nothing.
func TestImportKey(t *testing.T) {
	sb := priorSandbox(t)
	m := sandboxModel(t, sb, Options{})
	mustContain(t, view(m), "No account has authorized this platform yet")
	drive(t, m, press(m, "I"))
	mustContain(t, view(m), "✓ imported 4, updated 0, unchanged 0", "拾光咖啡点单", "青禾书店服务号")
	if m.imp != nil {
		t.Fatal("the import is still shown as running")
	}
	if m.table.Len() != 4 {
		t.Fatalf("%d rows after the import", m.table.Len())
	}
	for _, a := range m.snap.Authorizers {
		if a.Health(m.now) != flow.HealthOK {
			t.Errorf("%s is %v after the import", a.AppID, a.Health(m.now))
		}
	}
	drive(t, m, press(m, "I"))
	mustContain(t, view(m), "✓ imported 0, updated 0, unchanged 4")
}

// TestImportProgressBar: the status line shows a bar and the count while the import runs,
// and the summary when it ends.
func TestImportProgressBar(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	m.imp = newImportRun(testAppID)
	mustContain(t, view(m), "importing: reading api_get_authorizer_list…")
	ch := make(chan flow.ImportProgress)
	if cmd := send(m, importProgressMsg{ch: ch, p: flow.ImportProgress{Done: 150, Total: 600}}); cmd == nil {
		t.Fatal("no wait for the next report")
	}
	v := view(m)
	mustContain(t, v, "importing accounts ▌▌▌▌▌▌░", "150/600")
	if !strings.Contains(v, "░") {
		t.Errorf("the bar shows no remainder:\n%s", v)
	}
	press(m, "I")
	mustContain(t, view(m), "150/600") // a second import is not started
	rep := flow.ImportReport{Total: 600, Items: make([]flow.Adoption, 600)}
	for i := range rep.Items {
		rep.Items[i].Outcome = flow.AdoptUnchanged
	}
	rep.Items[0].Outcome = flow.AdoptImported
	send(m, importDoneMsg{rep: rep})
	mustContain(t, view(m), "✓ imported 1, updated 0, unchanged 599")
	send(m, importDoneMsg{rep: flow.ImportReport{Total: 600, Items: rep.Items[:500]}, err: context.DeadlineExceeded})
	mustContain(t, view(m), "import stopped after 500 of 600 accounts", "press I to go on")
	_ = tea.Quit
}

// TestPlatformEditAgainstTheEngine: e on the platforms screen opens the form filled in; the
// changes are saved, a blank secret stays, and the accounts and their tokens are kept.
func TestPlatformEditAgainstTheEngine(t *testing.T) {
	sb := priorSandbox(t)
	m := sandboxModel(t, sb, Options{})
	drive(t, m, press(m, "I"))
	before, err := sb.Engine.Authorizers(t.Context(), sb.Platform.ComponentAppID)
	if err != nil || len(before) != 4 {
		t.Fatalf("before: %d accounts, %v", len(before), err)
	}
	press(m, "p", "e")
	if m.screen != screenForm || m.form.orig == nil {
		t.Fatalf("e did not open the edit form (screen %d)", m.screen)
	}
	v := view(m)
	mustContain(t, v, "Platform "+sb.Platform.ComponentAppID, sb.Platform.ListenAddr, "unchanged (type a new one to replace it)")
	if strings.Contains(v, sb.Platform.Token) {
		t.Fatal("the stored Token is shown")
	}
	press(m, "tab") // Token
	typeText(m, "n3wT0ken")
	press(m, "tab", "tab", "tab", "tab") // listen address
	send(m, tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	typeText(m, "127.0.0.1:0")
	drive(t, m, press(m, "ctrl+s"))
	if m.screen != screenPlatforms {
		t.Fatalf("screen %d after saving: %s", m.screen, m.form.submitErr)
	}
	mustContain(t, view(m), "updated (token, listen address); its accounts and tokens are kept")
	p, err := sb.Engine.Platform(t.Context(), sb.Platform.ComponentAppID)
	if err != nil || p.Token != "n3wT0ken" || p.ListenAddr != "127.0.0.1:0" || p.AppSecret != sb.Platform.AppSecret || p.EncodingAESKey != sb.Platform.EncodingAESKey {
		t.Fatalf("stored %+v %v", p, err)
	}
	after, _ := sb.Engine.Authorizers(t.Context(), sb.Platform.ComponentAppID)
	for i := range after {
		if after[i].AccessToken != before[i].AccessToken || after[i].RefreshToken != before[i].RefreshToken {
			t.Errorf("%s's tokens changed", after[i].AppID)
		}
	}
	// An invalid change is refused next to its field; esc leaves without saving.
	press(m, "e", "tab", "tab", "tab", "tab", "tab")
	send(m, tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	typeText(m, "8765")
	press(m, "ctrl+s")
	mustContain(t, view(m), "✗ must be host:port")
	press(m, "esc")
	if p2, _ := sb.Engine.Platform(t.Context(), sb.Platform.ComponentAppID); p2.ListenAddr != "127.0.0.1:0" {
		t.Fatal("esc saved the form")
	}
}
