package tui

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"wxauth/core/flow"
	"wxauth/storage"
)

// TestKeyRotatedUnderTheConsole: the database's key is rotated by another process while the
// console runs with the old one; the refresher's next pass stops on it and the console says
// which key the database has now and what to do, instead of failing every pass silently.
func TestKeyRotatedUnderTheConsole(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	oldKey, err := storage.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := storage.GenerateKey()
	fdb, err := flow.OpenDatabase(ctx, path, flow.CreateIfMissing, flow.WithKey(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fdb.Close() })
	p := testPlatform
	if err := fdb.AddPlatform(ctx, storage.Platform{ComponentAppID: p.ComponentAppID, AppSecret: p.AppSecret, Token: p.Token,
		EncodingAESKey: p.EncodingAESKey, AuthDomain: p.AuthDomain, PublicURL: p.PublicURL, ListenAddr: p.ListenAddr, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	other, err := storage.Open(ctx, path, storage.WithKey(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RotateKey(ctx, newKey); err != nil {
		t.Fatal(err)
	}
	other.Close()

	in, typeKeys := io.Pipe()
	var out syncWriter
	done := make(chan error, 1)
	go func() {
		_, err := Run(t.Context(), flow.New(flow.Config{Store: fdb}), RunOptions{
			Options:   Options{Getenv: func(string) string { return "" }},
			Refresher: true, RefreshInterval: time.Hour, // the first pass runs at once
			ProgramOptions: []tea.ProgramOption{tea.WithInput(in), tea.WithOutput(&out),
				tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithColorProfile(colorprofile.Ascii)},
		})
		done <- err
	}()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), "sealed under key "+newKey.ID()); {
		if time.Now().After(deadline) {
			t.Fatalf("the console never showed the rotated key:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := out.String(); !strings.Contains(s, "The database cannot be used") || !strings.Contains(s, "restart it with the key") {
		t.Errorf("the console's explanation:\n%s", s)
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
