package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileFailuresRollBackAndSaySo: a write that no longer fits (SQLite's max_page_count
// stands in for a full disk: SQLITE_FULL) or that meets a read-only database fails with a
// *FileError naming the database, the cause and the remedy, and leaves what was stored as it
// was, in every kind of write: a token swap (transaction), the audit log (single statement).
func TestFileFailuresRollBackAndSaySo(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		limit    func(t *testing.T, db *DB) // makes writes fail
		kind     error
		messages []string
	}{
		{"disk full", func(t *testing.T, db *DB) {
			var pages int
			if err := db.wsql.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
				t.Fatal(err)
			}
			if _, err := db.wsql.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count=%d`, pages)); err != nil {
				t.Fatal(err)
			}
		}, ErrDiskFull, []string{"the disk is full", "rolled back", "what to do: free space"}},
		{"read-only", func(t *testing.T, db *DB) {
			if _, err := db.wsql.ExecContext(ctx, `PRAGMA query_only=ON`); err != nil {
				t.Fatal(err)
			}
		}, ErrReadOnly, []string{"is read-only", "nothing was written", "what to do: make the file and its directory writable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wxauth.db")
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// the pragmas below hold for the write connection, the only one
			if err := db.AddPlatform(ctx, Platform{ComponentAppID: "wx3f9a6c21b5d7e08c", AppSecret: "s", Token: "t", EncodingAESKey: "k", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SaveGrant(ctx, Grant{ComponentAppID: "wx3f9a6c21b5d7e08c", AppID: "wx8d5e2f7a1c3b9046", AccessToken: "token-A",
				ExpiresAt: at.Add(2 * time.Hour), RefreshToken: "refresh-A", FuncInfo: []int{17}, At: at, Source: "test"}); err != nil {
				t.Fatal(err)
			}
			before, err := db.Authorizer(ctx, "wx3f9a6c21b5d7e08c", "wx8d5e2f7a1c3b9046")
			if err != nil {
				t.Fatal(err)
			}
			tt.limit(t, db)

			// A refresh whose result does not fit (a token larger than any free page).
			err = db.SwapAuthorizerToken(ctx, "wx3f9a6c21b5d7e08c", "wx8d5e2f7a1c3b9046", before.AccessVersion,
				strings.Repeat("B", 64<<10), at.Add(time.Hour), at.Add(3*time.Hour), "refresh-B")
			checkFileError(t, err, tt.kind, path, tt.messages)
			err = db.AppendEvent(ctx, Event{At: at, ComponentAppID: "wx3f9a6c21b5d7e08c", Kind: "test", Level: "info", Message: strings.Repeat("e", 64<<10)})
			checkFileError(t, err, tt.kind, path, tt.messages)

			after, err := db.Authorizer(ctx, "wx3f9a6c21b5d7e08c", "wx8d5e2f7a1c3b9046")
			if err != nil {
				t.Fatal(err)
			}
			if after.AccessToken != "token-A" || after.RefreshToken != "refresh-A" || after.AccessVersion != before.AccessVersion {
				t.Errorf("half-written: token %.10q, refresh %q, version %d → %d", after.AccessToken, after.RefreshToken, before.AccessVersion, after.AccessVersion)
			}
			if hist, err := db.RefreshTokenHistory(ctx, "wx3f9a6c21b5d7e08c", "wx8d5e2f7a1c3b9046"); err != nil || len(hist) != 1 {
				t.Errorf("refresh-token history %v, %v", hist, err)
			}
			if v, err := db.IntegrityCheck(ctx); err != nil || v != "ok" {
				t.Errorf("integrity_check %q, %v", v, err)
			}
		})
	}
}

func checkFileError(t *testing.T, err error, kind error, path string, messages []string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, kind) || fe.Path != path {
		t.Fatalf("err = %v (%T), want a *FileError %v for %s", err, err, kind, path)
	}
	msg := err.Error()
	for _, want := range append(messages, path) {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}
