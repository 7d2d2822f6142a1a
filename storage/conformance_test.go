package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"wxauth/internal/mariadbtest"
	"wxauth/storage"
)

// The conformance suite: every storage test that is not about SQLite's file runs against both
// stores, through eachStore or eachTarget.

// maria is this package's throwaway MariaDB, started by the first test that needs it.
var maria mariadbtest.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	maria.Stop()
	os.Exit(code)
}

// eachTarget runs body once with a new SQLite path and once with a fresh MariaDB database's URL.
func eachTarget(t *testing.T, body func(t *testing.T, target string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { body(t, filepath.Join(t.TempDir(), "sub", "wxauth.db")) })
	t.Run("mariadb", func(t *testing.T) { body(t, maria.URL(t, true)) })
}

// eachStore runs body on a new, migrated store of each kind.
func eachStore(t *testing.T, body func(t *testing.T, db *storage.DB)) {
	t.Helper()
	eachTarget(t, func(t *testing.T, target string) { body(t, openTarget(t, target)) })
}

// testKey seals the conformance suite's stores: a server store requires a key, and sealing
// must not change what any store method returns.
var testKey = func() storage.Key {
	k, err := storage.ParseKey("d3hhdXRoIGNvbmZvcm1hbmNlIHN1aXRlIHRlc3Qga3k=")
	if err != nil {
		panic(err)
	}
	return k
}()

// openTarget opens target under testKey, closed when t ends.
func openTarget(t *testing.T, target string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), target, storage.WithKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitFor polls cond until it holds, failing t after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
