package tui

import (
	"os"
	"path/filepath"
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

// TestExportGoesToTheDataDirectory: a file export goes to the data directory unless the user
// types an absolute path: the default and a name typed alone go there, ~/ goes home, the
// dialog shows where, and nothing lands in the directory the console was started from, even
// when no data directory is known.
func TestExportGoesToTheDataDirectory(t *testing.T) {
	cwd, home := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	if err := os.Mkdir(filepath.Join(home, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"HOME": home}[k] }
	tests := []struct {
		name    string
		noData  bool
		typed   string // "" keeps the default
		want    string // where the file lands: DATA/… or HOME/…; "" nowhere
		message string
	}{
		{"the default", false, "", "DATA/wxauth-tokens.env", "exported 2 access tokens (env) to a file only you can read (0600)"},
		{"a name typed alone", false, "mine.env", "DATA/mine.env", "exported 2 access tokens (env)"},
		{"a path from home", false, "~/tokens/x.env", "HOME/tokens/x.env", "exported 2 access tokens (env)"},
		{"no data directory and a name alone", true, "mine.env", "", "export: type an absolute path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := ""
			if !tt.noData {
				data = t.TempDir()
			}
			want := strings.NewReplacer("DATA", data, "HOME", home).Replace(tt.want)
			m := loaded(t, 120, 40, Options{DataDir: data, Getenv: getenv})
			press(m, "e", "tab", "right", "tab", "tab") // to a file, on the path field
			if tt.typed != "" {
				for range len([]rune(m.export.path.Value())) {
					press(m, "backspace")
				}
				typeText(m, tt.typed)
				mustContain(t, view(m), "→ ") // where a relative path lands, shown before enter
			}
			if to, _ := m.export.target(); to != want {
				t.Errorf("the dialog would write %q, want %q", to, want)
			}
			msgs := collect(t, press(m, "enter"), timeoutShort)
			done, ok := find[exportDoneMsg](msgs)
			if ok {
				send(m, done)
			}
			mustContain(t, view(m), tt.message)
			if want != "" {
				if !ok || done.path != want {
					t.Errorf("exported to %q, want %q", done.path, want)
				}
				assertFile0600(t, want, fixtureAuthorizers()[0].AccessToken)
			} else if ok {
				t.Errorf("exported to %q, want a refusal", done.path)
			}
			if entries, _ := os.ReadDir(cwd); len(entries) != 0 {
				t.Errorf("exported into the current directory: %v", entries)
			}
		})
	}
}
