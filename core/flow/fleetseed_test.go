package flow_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
	"wxauth/internal/mariadbtest"
	"wxauth/storage"
)

// fleetStore is where the fleet program keeps its database: "" (SQLite, a temporary file) or,
// with WXAUTH_FLEET_STORE=mariadb, a throwaway MariaDB, sealed under a generated key as a
// server store must be.
func fleetStore(t *testing.T) (dbPath string, opts []storage.Option) {
	t.Helper()
	switch v := os.Getenv("WXAUTH_FLEET_STORE"); v {
	case "", "sqlite":
		return "", nil
	case "mariadb", "mysql":
		srv, err := mariadbtest.Start()
		if err != nil {
			t.Fatalf("starting MariaDB: %v", err)
		}
		t.Cleanup(srv.Stop)
		// WXAUTH_FLEET_INNODB_FLUSH=2 (innodb_flush_log_at_trx_commit) drops the fsync per
		// commit: the difference is what durability costs the pass.
		if v := os.Getenv("WXAUTH_FLEET_INNODB_FLUSH"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 2 {
				t.Fatalf("WXAUTH_FLEET_INNODB_FLUSH=%q: want 0, 1 or 2", v)
			}
			if err := srv.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = " + strconv.Itoa(n)); err != nil {
				t.Fatal(err)
			}
		}
		key, err := storage.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return srv.NewDatabase(t, true), []storage.Option{storage.WithKey(key)}
	default:
		t.Fatalf("WXAUTH_FLEET_STORE=%q: want sqlite or mariadb", v)
		return "", nil
	}
}

// seedFleet makes every account authorized at the simulator (Sim.Grant, no HTTP) and stores
// each grant through the store (SaveGrant from 16 goroutines: the SQLite store's writer
// commits them in batches, MySQL in parallel transactions). The access tokens stored are
// placeholders, due within two hours like real ones; the pass replaces them all.
func seedFleet(t *testing.T, ctx context.Context, sb *sandbox.Sandbox, accounts []wxsim.Account) {
	t.Helper()
	appid := sb.Platform.ComponentAppID
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.AppID
	}
	refresh, err := sb.Sim.Grant(appid, ids)
	if err != nil {
		t.Fatal(err)
	}
	now := sb.Engine.Now()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				_, err := sb.DB.SaveGrant(ctx, storage.Grant{ComponentAppID: appid, AppID: ids[i],
					AccessToken: fmt.Sprintf("seeded-%s-placeholder", ids[i]), ExpiresAt: now.Add(2 * time.Hour),
					RefreshToken: refresh[ids[i]], FuncInfo: []int{1, 17, 18}, At: now, Source: "fleet-seed"})
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s: %w", ids[i], err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}
