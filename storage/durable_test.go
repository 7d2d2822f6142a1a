package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestDurableTxSyncsOnlyItself: a durable transaction runs with synchronous=FULL (2) and the
// connection goes back to the pool at the DSN's NORMAL (1).
func TestDurableTxSyncsOnlyItself(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	level := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		var v int
		if err := q.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := level(db.wsql); got != 1 { // the writer's one connection
		t.Fatalf("default synchronous = %d, want 1 (NORMAL)", got)
	}
	var inside int
	if err := db.durableTx(ctx, func(tx *sql.Tx) error { inside = level(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if inside != 2 {
		t.Fatalf("synchronous inside a durable transaction = %d, want 2 (FULL)", inside)
	}
	if got := level(db.wsql); got != 1 {
		t.Fatalf("synchronous after a durable transaction = %d, want 1 (NORMAL)", got)
	}
}
