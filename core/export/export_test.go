package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/export")

func sampleItems() []export.Item {
	exp := time.Date(2025, 5, 17, 14, 30, 0, 0, time.FixedZone("CST", 8*3600))
	return []export.Item{
		{ComponentAppID: "wx134c8103faa5a59e", AuthorizerAppID: "wxba5fad812f8e6fb9", NickName: "测试小程序",
			AccessToken: "92_AbC-dEf_123", ExpiresAt: exp, RefreshToken: "refreshtoken@@@XyZ_987"},
		{ComponentAppID: "wx134c8103faa5a59e", AuthorizerAppID: "wx0000000000000001", NickName: "O'Brien's \"shop\" $HOME `x`",
			AccessToken: "92_only-access", ExpiresAt: exp.Add(time.Hour)},
	}
}

func TestFormatGolden(t *testing.T) {
	for _, format := range export.Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := export.Format(&buf, format, sampleItems()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "..", "testdata", "export", format+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./core/export -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n%s", format, golden, buf.String())
			}
		})
	}
}

func TestFormatEmptyAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		items   []export.Item
		want    string
		wantErr string
	}{
		{name: "empty json is an empty array", format: "json", want: "[]\n"},
		{name: "empty env is empty", format: "env", want: ""},
		{name: "unknown format", format: "yaml", wantErr: "unknown export format"},
		{name: "line break in env value", format: "env",
			items:   []export.Item{{AuthorizerAppID: "wx1", AccessToken: "two\nlines"}},
			wantErr: "line break"},
		{name: "same authorizer under two platforms", format: "shell",
			items:   []export.Item{{ComponentAppID: "wxa", AuthorizerAppID: "wx1"}, {ComponentAppID: "wxb", AuthorizerAppID: "wx1"}},
			wantErr: "same variable names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := export.Format(&buf, tt.format, tt.items)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got %q, want %q", buf.String(), tt.want)
			}
		})
	}
	var buf bytes.Buffer
	if err := export.Format(&buf, "xml", nil); !errors.Is(err, export.ErrFormat) {
		t.Errorf("err = %v, want ErrFormat", err)
	}
}

func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := export.Format(&buf, "json", sampleItems()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d items", len(got))
	}
	for _, k := range []string{"component_appid", "authorizer_appid", "nick_name", "access_token", "expires_at", "refresh_token"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("first item lacks %q", k)
		}
	}
	if _, ok := got[1]["refresh_token"]; ok {
		t.Error("refresh_token written although empty")
	}
	if _, err := time.Parse(time.RFC3339, got[0]["expires_at"].(string)); err != nil {
		t.Errorf("expires_at not RFC 3339: %v", err)
	}
}

// TestShellRoundTrip sources the shell export in a real shell and reads every value back.
func TestShellRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	items := sampleItems()
	items[1].AccessToken = "a'b''c\\d\n$(echo pwned)"
	var buf bytes.Buffer
	if err := export.Format(&buf, "shell", items); err != nil {
		t.Fatal(err)
	}
	script := buf.String() + `printf '%s\0' "$WXAUTH_WX0000000000000001_ACCESS_TOKEN" "$WXAUTH_WX0000000000000001_NICK_NAME" "$WXAUTH_WXBA5FAD812F8E6FB9_REFRESH_TOKEN"`
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	want := []string{items[1].AccessToken, items[1].NickName, items[0].RefreshToken}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// unquote reverses POSIX single quoting: '…' runs and \' between them.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for len(s) > 0 {
		switch {
		case s[0] == '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(s[1 : 1+end])
			s = s[2+end:]
		case strings.HasPrefix(s, `\'`):
			b.WriteByte('\'')
			s = s[2:]
		default:
			return "", false
		}
	}
	return b.String(), true
}

func FuzzShellQuote(f *testing.F) {
	seeds, err := os.ReadFile(filepath.Join("..", "..", "testdata", "export", "shellquote-seeds.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range strings.Split(string(seeds), "\n") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := export.ShellQuote(s)
		got, ok := unquote(q)
		if !ok || got != s {
			t.Fatalf("ShellQuote(%q) = %q, reads back as %q (ok=%v)", s, q, got, ok)
		}
	})
}

func TestEnvKey(t *testing.T) {
	for in, want := range map[string]string{
		"wxba5fad812f8e6fb9": "WXBA5FAD812F8E6FB9",
		"wx-a.b":             "WX_A_B",
		"测试":                 "______",
	} {
		if got := export.EnvKey(in); got != want {
			t.Errorf("EnvKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		wantErr string
	}{
		{name: "new file"},
		{name: "existing 0600 file is truncated", setup: func(t *testing.T, path string) {
			write(t, path, strings.Repeat("old secret ", 100), 0o600)
		}},
		{name: "existing 0644 file is refused", setup: func(t *testing.T, path string) {
			write(t, path, "keep", 0o644)
		}, wantErr: "mode is 0644"},
		{name: "existing 0640 file is refused", setup: func(t *testing.T, path string) {
			write(t, path, "keep", 0o640)
		}, wantErr: "mode is 0640"},
		{name: "symlink is refused", setup: func(t *testing.T, path string) {
			target := path + ".target"
			write(t, target, "keep", 0o600)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "symbolic link"},
		{name: "dangling symlink is refused", setup: func(t *testing.T, path string) {
			if err := os.Symlink(path+".nowhere", path); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "symbolic link"},
		{name: "directory is refused", setup: func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "export file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.env")
			if tt.setup != nil {
				tt.setup(t, path)
			}
			before, _ := os.ReadFile(path)
			err := export.WriteFile(path, []byte("WXAUTH_X=1\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				after, _ := os.ReadFile(path)
				if !bytes.Equal(before, after) {
					t.Error("a refused file was modified")
				}
				if _, err := os.Stat(path + ".nowhere"); err == nil {
					t.Error("a dangling symlink's target was created")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != "WXAUTH_X=1\n" {
				t.Fatalf("content %q, %v", got, err)
			}
			st, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %#o, want 0600", st.Mode().Perm())
			}
		})
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // the umask may have removed bits
		t.Fatal(err)
	}
}

func BenchmarkFormat(b *testing.B) {
	items := make([]export.Item, 100)
	for i := range items {
		items[i] = sampleItems()[0]
		items[i].AuthorizerAppID = fmt.Sprintf("wx%016x", i)
	}
	for _, format := range export.Formats {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := export.Format(io.Discard, format, items); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
