package tui

import (
	"strings"
	"testing"
)

func TestExportDialogKeys(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "e")
	d := m.export
	if d == nil || len(d.items) != 3 {
		t.Fatal("e did not open the export of the shown authorizers")
	}
	press(m, "right")
	if d.format != 1 || d.path.Value() != "wxauth-tokens.json" {
		t.Fatalf("format %d path %s", d.format, d.path.Value())
	}
	press(m, "left", "left")
	if d.format != 2 || d.path.Value() != "wxauth-tokens.sh" {
		t.Fatalf("format %d path %s", d.format, d.path.Value())
	}
	press(m, "tab", "right", "tab", "space", "tab")
	if !d.toFile || !d.withRefresh || d.field != 3 || !d.path.Focused() {
		t.Fatalf("toFile %v refresh %v field %d", d.toFile, d.withRefresh, d.field)
	}
	press(m, "esc")
	if m.export != nil {
		t.Fatal("esc did not close the dialog")
	}
	// To the clipboard: formatted by core/export; only authorizers with a token.
	press(m, "e", "enter")
	msgs := collect(t, nil, timeoutShort)
	_ = msgs
	if m.export != nil {
		t.Fatal("enter did not close the dialog")
	}
}

func TestExportToClipboardAndFile(t *testing.T) {
	m := loaded(t, 100, 30, Options{})
	press(m, "e")
	msgs := collect(t, press(m, "enter"), timeoutShort)
	got, ok := clipboardValue(msgs)
	if !ok {
		t.Fatal("no clipboard write")
	}
	a := fixtureAuthorizers()
	mustContain(t, got, "WXAUTH_WX8D5E2F7A1C3B9046_ACCESS_TOKEN="+a[0].AccessToken, "WXAUTH_WX9E4C6A2F8B1D3057_ACCESS_TOKEN=")
	if strings.Contains(got, "REFRESH_TOKEN") || strings.Contains(got, "WX2C7B1E9F0A4D6835") {
		t.Fatalf("exported refresh tokens or the revoked account without token:\n%s", got)
	}

	dir := t.TempDir()
	press(m, "e", "right", "tab", "right", "tab", "right", "tab")
	m.export.path.SetValue(dir + "/out.json")
	msgs = collect(t, press(m, "enter"), timeoutShort)
	done, ok := find[exportDoneMsg](msgs)
	if !ok || done.err != nil {
		t.Fatalf("export: %+v", done)
	}
	send(m, done)
	mustContain(t, view(m), "exported 2 access tokens with refresh tokens (json) to a file only you can read (0600)")
	assertFile0600(t, dir+"/out.json", a[0].RefreshToken)
}
