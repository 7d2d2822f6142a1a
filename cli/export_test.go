package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	e.authorizeByPaste(t, travelAppID)
	coffeeTok := strings.TrimSpace(wxOK(t, e.db, "token", coffeeAppID).out)
	travelTok := strings.TrimSpace(wxOK(t, e.db, "token", travelAppID).out)

	t.Run("env", func(t *testing.T) {
		r := wxOK(t, e.db, "export")
		for _, want := range []string{
			"WXAUTH_WX8D5E2F7A1C3B9046_ACCESS_TOKEN=" + coffeeTok + "\n",
			"WXAUTH_WX2C7B1E9F0A4D6835_ACCESS_TOKEN=" + travelTok + "\n",
			"WXAUTH_WX8D5E2F7A1C3B9046_COMPONENT_APPID=" + sandboxAppID + "\n",
			"# 拾光咖啡点单 (" + coffeeAppID + ")",
		} {
			if !strings.Contains(r.out, want) {
				t.Errorf("env export lacks %q:\n%s", want, r.out)
			}
		}
		if strings.Contains(r.out, "REFRESH_TOKEN") {
			t.Error("refresh tokens exported without --refresh-tokens")
		}
		if ti := e.checkToken(t, coffeeTok); !ti.Valid {
			t.Errorf("exported token invalid at the simulator: %+v", ti)
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, args := range [][]string{{"export", "--format", "json"}, {"export", "--json"}} {
			var items []map[string]any
			r := wxOK(t, e.db, args...)
			if err := json.Unmarshal([]byte(r.out), &items); err != nil || len(items) != 2 {
				t.Fatalf("%v: %v\n%s", args, err, r.out)
			}
			got := map[string]map[string]any{}
			for _, it := range items {
				if !sameKeys(it, "component_appid", "authorizer_appid", "nick_name", "access_token", "expires_at") {
					t.Errorf("json export keys: %v", it)
				}
				assertRFC3339(t, it["expires_at"])
				got[it["authorizer_appid"].(string)] = it
			}
			if got[coffeeAppID]["access_token"] != coffeeTok || got[travelAppID]["nick_name"] != "云途出行助手" {
				t.Errorf("json export: %v", items)
			}
		}
		var items []map[string]any
		r := wxOK(t, e.db, "export", "--format", "json", "--refresh-tokens", travelAppID)
		if err := json.Unmarshal([]byte(r.out), &items); err != nil || len(items) != 1 {
			t.Fatalf("%v\n%s", err, r.out)
		}
		if rt, _ := items[0]["refresh_token"].(string); !strings.HasPrefix(rt, "refreshtoken@@@") {
			t.Errorf("--refresh-tokens: refresh_token %q", items[0]["refresh_token"])
		}
	})

	t.Run("shell", func(t *testing.T) {
		r := wxOK(t, e.db, "export", "--format", "shell", coffeeAppID)
		if strings.Contains(r.out, travelAppID) {
			t.Errorf("an unnamed authorizer was exported:\n%s", r.out)
		}
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Skip("no sh")
		}
		out, err := exec.Command(sh, "-c", r.out+`printf '%s|%s' "$WXAUTH_WX8D5E2F7A1C3B9046_ACCESS_TOKEN" "$WXAUTH_WX8D5E2F7A1C3B9046_NICK_NAME"`).Output()
		if err != nil {
			t.Fatalf("sourcing the shell export: %v\n%s", err, r.out)
		}
		if string(out) != coffeeTok+"|拾光咖啡点单" {
			t.Errorf("the shell export reads back as %q", out)
		}
	})

	t.Run("output file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "wechat.env")
		r := wxOK(t, e.db, "export", "--output", path)
		if r.out != "" || !strings.Contains(r.err, "exported 2 token(s) to "+path) {
			t.Errorf("export --output: stdout %q, stderr %q", r.out, r.err)
		}
		assertFile(t, path, coffeeTok)
		// Again: the file is ours and 0600, so it is overwritten.
		wxOK(t, e.db, "export", "--output", path, "--format", "json")
		assertFile(t, path, `"access_token": "`+coffeeTok)
		// A file others can read is refused and left alone.
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(path)
		r = wx(t, e.db, "", "export", "--output", path)
		if r.code != 1 || !strings.Contains(r.err, "refusing to overwrite") {
			t.Errorf("export over a 0644 file: exit %d, stderr %s", r.code, r.err)
		}
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Error("the refused file was changed")
		}
	})

	t.Run("usage", func(t *testing.T) {
		tests := []struct {
			args []string
			code int
			want string
		}{
			{args: []string{"export", "--format", "yaml"}, code: 2, want: "--format must be one of env, json, shell"},
			{args: []string{"export", "--json", "--format", "env"}, code: 2, want: "conflicts"},
			{args: []string{"export", "not-an-appid"}, code: 2, want: "not an authorizer appid"},
			{args: []string{"export", "wx0000000000000001"}, code: 3, want: "skipped wx0000000000000001: wx0000000000000001 has not authorized"},
		}
		for _, tt := range tests {
			r := wx(t, e.db, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.err, tt.want) {
				t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.err, tt.code, tt.want)
			}
		}
	})

	t.Run("authorizers table aligned", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(wxOK(t, e.db, "authorizers").out), "\n")
		if len(lines) != 3 {
			t.Fatalf("table:\n%s", strings.Join(lines, "\n"))
		}
		// Every row's KIND column starts at the same display column despite the Chinese names.
		col := -1
		for _, l := range lines[1:] {
			i := strings.Index(l, "miniprogram")
			w := displayCols(l[:i])
			if col >= 0 && w != col {
				t.Errorf("misaligned table:\n%s", strings.Join(lines, "\n"))
			}
			col = w
		}
	})
}

// displayCols counts terminal cells, CJK characters being two.
func displayCols(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2e80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %#o, want 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), want) {
		t.Errorf("%s lacks %q: %s (%v)", path, want, b, err)
	}
}
