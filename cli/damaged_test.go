package cli_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxsim"
)

// damagePages overwrites pages of a closed SQLite file with 0xFF, as a failing disk or a stray
// write would: the root pages of the named tables, or with none every page but the first (the
// header and the schema) and the last.
func damagePages(t testing.TB, path string, tables ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var pageSize, pageCount int
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pageCount); err != nil {
		t.Fatal(err)
	}
	var pages []int
	for _, table := range tables {
		var root int
		if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&root); err != nil {
			t.Fatalf("table %s: %v", table, err)
		}
		pages = append(pages, root)
	}
	if len(tables) == 0 {
		for p := 2; p < pageCount; p++ {
			pages = append(pages, p)
		}
	}
	if err := db.Close(); err != nil { // the last connection: the WAL is folded in and removed
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := bytes.Repeat([]byte{0xFF}, pageSize)
	for _, p := range pages {
		if _, err := f.WriteAt(junk, int64(p-1)*int64(pageSize)); err != nil {
			t.Fatal(err)
		}
	}
	if len(pages) == 0 {
		t.Fatalf("no page to damage in %s (%d pages)", path, pageCount)
	}
}

// TestDamagedDatabase: a real database with an authorized account, damaged three ways: pages
// in the middle of the file (found as it opens), the authorizers table (found by the first
// read of the accounts) and the leases table (found only by the refresher). `wxauth status`
// and `wxauth serve` say on stderr which database is damaged and what to do (save the refresh
// tokens, integrity_check, restore or recover), and exit 1: serve at once, not after logging
// a failed pass every interval.
func TestDamagedDatabase(t *testing.T) {
	t.Parallel()
	e := newSimEnvAt(t, wxsim.DefaultWorld(), tempDB(t))
	e.authorizeByPaste(t, coffeeAppID)
	tests := []struct {
		name        string
		tables      []string
		statusFails bool // status reads what is damaged (the leases are only the refresher's)
	}{
		{"pages in the middle", nil, true},
		{"the authorizers table", []string{"authorizers"}, true},
		{"the leases table", []string{"leases"}, false},
	}
	want := func(db string) []string {
		return []string{"database " + db + " is damaged", "malformed", "what to do:",
			"refresh_tokens", "PRAGMA integrity_check", "restore your latest backup", ".recover"}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "wxauth.db")
			copyFile(t, e.db, db, 0o600)
			if _, err := os.Stat(e.db + "-wal"); err == nil {
				copyFile(t, e.db+"-wal", db+"-wal", 0o600)
			}
			damagePages(t, db, tt.tables...)

			r := wx(t, db, "", "status")
			switch {
			case !tt.statusFails && r.code != 0:
				t.Errorf("status: exit %d, want 0 (the leases are not read)\n%s", r.code, r.err)
			case tt.statusFails:
				if r.code != 1 || r.out != "" {
					t.Errorf("status: exit %d, stdout %q; want exit 1 and nothing on stdout", r.code, r.out)
				}
				mustContainAll(t, "status stderr", r.err, want(db)...)
			}

			serve := startWX(t, db, "", "serve", "--listen", "127.0.0.1:0", "--interval", "1h")
			if code := serve.wait(t, 30*time.Second); code != 1 {
				t.Errorf("serve: exit %d, want 1\nstderr: %s", code, serve.err.String())
			}
			mustContainAll(t, "serve stderr", serve.err.String(), want(db)...)
			if n := strings.Count(serve.err.String(), "is damaged"); n != 1 {
				t.Errorf("serve reported the damage %d times, want once:\n%s", n, serve.err.String())
			}
			t.Logf("%s: serve said: %s", tt.name, firstLine(serve.err.String()))
		})
	}
}
