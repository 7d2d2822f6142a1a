package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestDataDirPathPerOS: the default database is in each OS's data directory, and a database
// at the old XDG default (before wxauth knew other desktops) keeps being found and used.
func TestDataDirPathPerOS(t *testing.T) {
	tests := []struct {
		name     string
		goos     string
		env      map[string]string
		home     string
		existing []string
		want     string
	}{
		{"linux", "linux", nil, "/home/dev", nil, "/home/dev/.local/share/wxauth/wxauth.db"},
		{"linux XDG_DATA_HOME", "linux", map[string]string{"XDG_DATA_HOME": "/data/"}, "/home/dev", nil, "/data/wxauth/wxauth.db"},
		{"linux without home but XDG", "linux", map[string]string{"XDG_DATA_HOME": "/data"}, "", nil, "/data/wxauth/wxauth.db"},
		{"macOS", "darwin", nil, "/Users/dev", nil, "/Users/dev/Library/Application Support/wxauth/wxauth.db"},
		{"macOS keeps the old default", "darwin", nil, "/Users/dev", []string{"/Users/dev/.local/share/wxauth/wxauth.db"},
			"/Users/dev/.local/share/wxauth/wxauth.db"},
		{"macOS keeps an old XDG_DATA_HOME one", "darwin", map[string]string{"XDG_DATA_HOME": "/x"}, "/Users/dev", []string{"/x/wxauth/wxauth.db"},
			"/x/wxauth/wxauth.db"},
		{"macOS prefers its own when both exist", "darwin", nil, "/Users/dev",
			[]string{"/Users/dev/.local/share/wxauth/wxauth.db", "/Users/dev/Library/Application Support/wxauth/wxauth.db"},
			"/Users/dev/Library/Application Support/wxauth/wxauth.db"},
		{"windows", "windows", map[string]string{"LocalAppData": `C:\Users\dev\AppData\Local`}, `C:\Users\dev`, nil,
			`C:\Users\dev\AppData\Local\wxauth\wxauth.db`},
		{"windows without LocalAppData", "windows", nil, `C:\Users\dev`, nil, `C:\Users\dev\AppData\Local\wxauth\wxauth.db`},
		{"windows keeps the old default", "windows", map[string]string{"LocalAppData": `C:\Users\dev\AppData\Local\`}, `C:\Users\dev`,
			[]string{`C:\Users\dev\.local\share\wxauth\wxauth.db`}, `C:\Users\dev\.local\share\wxauth\wxauth.db`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			home := func() (string, error) {
				if tt.home == "" {
					return "", errors.New("no home")
				}
				return tt.home, nil
			}
			exists := func(p string) bool {
				for _, e := range tt.existing {
					if e == p {
						return true
					}
				}
				return false
			}
			got, err := dataDirPath(tt.goos, getenv, home, exists)
			if err != nil || got != tt.want {
				t.Errorf("dataDirPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestDataDirPathWithoutHome: no home and no variable naming a directory says what to do.
func TestDataDirPathWithoutHome(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		home := func() (string, error) { return "", errors.New("no home") }
		_, err := dataDirPath(goos, func(string) string { return "" }, home, func(string) bool { return false })
		if err == nil {
			t.Errorf("%s: no error without a home directory", goos)
		}
	}
}

// TestDataDirPathFindsTheOldDatabase: through the real file system, on this OS.
func TestDataDirPathFindsTheOldDatabase(t *testing.T) {
	home := t.TempDir()
	old := filepath.Join(home, ".local", "share", "wxauth", "wxauth.db")
	if err := os.MkdirAll(filepath.Dir(old), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := dataDirPath("darwin", func(string) string { return "" }, func() (string, error) { return home, nil }, fileExists)
	if err != nil || filepath.Clean(got) != old {
		t.Errorf("dataDirPath = %q, %v; want the old database %q", got, err, old)
	}
}
