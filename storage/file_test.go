package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"wxauth/storage"
)

// TestOpenRefusals: each file Open must not use is refused with a *FileError of its kind,
// naming the path, before anything is written to it (cli/files_test.go runs the same through
// the commands).
func TestOpenRefusals(t *testing.T) {
	ctx := context.Background()
	newDB := func(t *testing.T, path string) {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	rawSQL := func(t *testing.T, path, stmt string) {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		kind  error
	}{
		{"symbolic link", func(t *testing.T, path string) {
			newDB(t, path+".real")
			if err := os.Symlink(path+".real", path); err != nil {
				t.Skip(err)
			}
		}, storage.ErrSymlink},
		{"dangling symbolic link", func(t *testing.T, path string) {
			if err := os.Symlink(path+".nowhere", path); err != nil {
				t.Skip(err)
			}
		}, storage.ErrSymlink},
		{"text file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("SQLite format 2, honest\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, storage.ErrNotDatabase},
		{"another program's database", func(t *testing.T, path string) {
			rawSQL(t, path, `CREATE TABLE notes (body TEXT)`)
		}, storage.ErrNotDatabase},
		{"newer schema", func(t *testing.T, path string) {
			newDB(t, path)
			rawSQL(t, path, `INSERT INTO schema_version (version) VALUES (1000)`)
		}, storage.ErrNewerSchema},
		{"damaged", func(t *testing.T, path string) {
			newDB(t, path)
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xFF}, int(fi.Size())-2*4096), 4096); err != nil { // all but the first and last page
				t.Fatal(err)
			}
		}, storage.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wxauth.db")
			tt.setup(t, path)
			before, _ := os.ReadFile(path)
			db, err := storage.Open(ctx, path)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			var fe *storage.FileError
			if !errors.As(err, &fe) || !errors.Is(err, tt.kind) || fe.Path != path {
				t.Fatalf("err = %v, want a *FileError %v for %s", err, tt.kind, path)
			}
			if after, _ := os.ReadFile(path); tt.kind != storage.ErrCorrupt && !bytes.Equal(before, after) {
				t.Error("the refused file was written")
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "typo", "wxauth.db")
		if err := storage.RequireDir(path); !errors.Is(err, storage.ErrNoDirectory) {
			t.Fatalf("RequireDir: %v", err)
		}
		if err := storage.RequireDir(filepath.Join(t.TempDir(), "wxauth.db")); err != nil {
			t.Fatalf("RequireDir of an existing directory: %v", err)
		}
	})
}
