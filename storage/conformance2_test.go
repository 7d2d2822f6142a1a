package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/storage"
)

// TestConcurrentMigrators: several hosts opening a new database at once migrate it once; the
// later ones find it done.
func TestConcurrentMigrators(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		ctx := context.Background()
		var wg sync.WaitGroup
		dbs := make([]*storage.DB, 4)
		errs := make([]error, 4)
		for i := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = storage.Open(ctx, target, storage.WithKey(testKey))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("migrator %d: %v", i, err)
			}
			defer dbs[i].Close()
		}
		v, err := dbs[0].SchemaVersion(ctx)
		if err != nil || v < 4 {
			t.Fatalf("schema version %d %v", v, err)
		}
		// Each version recorded once, and the schema works.
		if err := dbs[1].AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", AppSecret: "s", Token: "t", EncodingAESKey: "k", AuthDomain: "d", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := dbs[2].AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", CreatedAt: t0}); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("duplicate platform: %v", err)
		}
		again := openTarget(t, target) // a reopen applies nothing
		if v2, _ := again.SchemaVersion(ctx); v2 != v {
			t.Fatalf("version after reopen %d, want %d", v2, v)
		}
		if verdict, err := again.IntegrityCheck(ctx); err != nil || verdict != "ok" {
			t.Fatalf("integrity %q %v", verdict, err)
		}
	})
}

// TestEventLogAndCounters: events come back newest first and limited; faults and renewal
// requests round-trip.
func TestEventLogAndCounters(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		for i := range 5 {
			if err := db.AppendEvent(ctx, storage.Event{At: t0.Add(time.Duration(i) * time.Second), ComponentAppID: "wxc", Kind: "k", Level: "info", Code: i, Message: "m" + strings.Repeat("é", i)}); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := db.Events(ctx, "wxc", 3)
		if err != nil || len(evs) != 3 || evs[0].Code != 4 || evs[2].Code != 2 || evs[0].Message != "méééé" || !evs[0].At.Equal(t0.Add(4*time.Second)) {
			t.Fatalf("events = %+v %v", evs, err)
		}
		for range 3 {
			if err := db.CountFault(ctx, "wxc", "-1", t0); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CountFault(ctx, "wxc", "HTTP 502", t0); err != nil {
			t.Fatal(err)
		}
		if f, err := db.FaultCounts(ctx, "wxc", t0.Add(-time.Hour)); err != nil || f["-1"] != 3 || f["HTTP 502"] != 1 {
			t.Fatalf("faults = %v %v", f, err)
		}
		id, err := db.RequestRenewal(ctx, "wxc", "component", t0)
		if err != nil || id == 0 {
			t.Fatalf("request %d %v", id, err)
		}
		if p, _ := db.PendingRenewals(ctx, "wxc"); len(p) != 1 || p[0].ID != id {
			t.Fatalf("pending = %+v", p)
		}
		if err := db.FinishRenewal(ctx, id, "boom", 40001, true, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		r, err := db.Renewal(ctx, id)
		if err != nil || r.Error != "boom" || r.Code != 40001 || !r.NeedsUser || r.DoneAt.IsZero() {
			t.Fatalf("renewal = %+v %v", r, err)
		}
		if p, _ := db.PendingRenewals(ctx, "wxc"); len(p) != 0 {
			t.Fatalf("still pending: %+v", p)
		}
	})
}

// TestCompareAndSwapUnderContention: many writers swapping from the same version, one wins each
// round, and the version only grows.
func TestCompareAndSwapUnderContention(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		ctx := context.Background()
		a, b := openTarget(t, target), openTarget(t, target)
		if _, err := a.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", AccessToken: "at0", RefreshToken: "rt0", At: t0, Source: "redirect"}); err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			cur, err := a.Authorizer(ctx, "wxc", "wxa")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db := []*storage.DB{a, b}[w%2]
					err := db.SwapAuthorizerToken(ctx, "wxc", "wxa", cur.AccessVersion, "at", t0, t0.Add(time.Hour), "")
					switch {
					case err == nil:
						mu.Lock()
						wins++
						mu.Unlock()
					case !errors.Is(err, storage.ErrConflict):
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("round %d: %d winners", round, wins)
			}
		}
		if got, _ := b.Authorizer(ctx, "wxc", "wxa"); got.AccessVersion != 6 || got.RefreshToken != "rt0" {
			t.Fatalf("authorizer = %+v", got)
		}
	})
}
