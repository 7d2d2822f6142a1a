package tui

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"wxauth/core/flow"
	"wxauth/storage"
)

// damagedEngine is an engine on a real database holding the fixture platform and one account,
// whose table is then damaged on disk (cli/damaged_test.go does the same to the CLI).
func damagedEngine(t *testing.T, table string) (*flow.Engine, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := testPlatform
	if err := db.AddPlatform(ctx, storage.Platform{ComponentAppID: p.ComponentAppID, AppSecret: p.AppSecret, Token: p.Token,
		EncodingAESKey: p.EncodingAESKey, AuthDomain: p.AuthDomain, PublicURL: p.PublicURL, ListenAddr: p.ListenAddr, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: p.ComponentAppID, AppID: "wx8d5e2f7a1c3b9046", AccessToken: "token-A",
		ExpiresAt: time.Now().Add(2 * time.Hour), RefreshToken: "refresh-A", FuncInfo: []int{17}, At: time.Now(), Source: "test"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	damageTable(t, path, table)
	fdb, err := flow.OpenDatabase(ctx, path, flow.MustExist)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fdb.Close() })
	return flow.New(flow.Config{Store: fdb}), path
}

// damageTable overwrites the root page of a table of a closed SQLite file with 0xFF.
func damageTable(t *testing.T, path, table string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var pageSize, root int
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&root); err != nil {
		t.Fatal(err)
	}
	db.Close() // the last connection: the WAL is folded into the file
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xFF}, pageSize), int64(root-1)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedDatabaseOnScreen: when reading the platform finds the database damaged, the
// console shows the whole explanation (which file, the cause, what to do) in place of the
// dashboard, not a truncated status line.
func TestDamagedDatabaseOnScreen(t *testing.T) {
	eng, path := damagedEngine(t, "authorizers")
	m := New(t.Context(), eng, Options{TickEvery: -1, Getenv: func(string) string { return "" }})
	send(m, teaWS(120, 40))
	drive(t, m, m.loadPlatformsCmd())
	if m.damaged == "" {
		t.Fatalf("no damage noted; load error %q", m.loadErr)
	}
	mustContain(t, view(m), "The database cannot be used", path, "is damaged", "malformed",
		"refresh_tokens", "PRAGMA integrity_check", "restore your latest backup", "the database is damaged: nothing can be read")
}

// syncWriter is a bytes.Buffer for a program writing while the test reads.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return ansi.Strip(w.b.String())
}

// TestRefresherFindsTheDatabaseDamaged runs the console as the CLI does, on a database whose
// leases table (which only the refresher reads) is damaged: the dashboard comes up, then the
// refresher's first pass stops on the damage and the console shows it.
func TestRefresherFindsTheDatabaseDamaged(t *testing.T) {
	eng, _ := damagedEngine(t, "leases")
	in, typeKeys := io.Pipe()
	var out syncWriter
	done := make(chan error, 1)
	go func() {
		_, err := Run(t.Context(), eng, RunOptions{
			Options:   Options{Getenv: func(string) string { return "" }},
			Refresher: true, RefreshInterval: time.Hour, // the first pass runs at once
			ProgramOptions: []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(&out),
				tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithColorProfile(colorprofile.Ascii)},
		})
		done <- err
	}()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), "The database cannot be used"); {
		if time.Now().After(deadline) {
			t.Fatalf("the console never showed the damage:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	typeKeys.Write([]byte("q"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
}
