package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"wxauth/storage"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

func TestFilePermissionsAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d", "wxauth.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", AppSecret: "s", Token: "t", EncodingAESKey: "k", AuthDomain: "d", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			if p == path+"-wal" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	db, err = storage.Open(ctx, path) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Platform(ctx, "wxc"); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.IntegrityCheck(ctx); err != nil || ok != "ok" {
		t.Fatalf("integrity %q %v", ok, err)
	}
}

func TestOlderTicketNeverBecomesCurrent(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		save := func(ticket string, created time.Time) bool {
			cur, _, err := db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wxc", Ticket: ticket, CreateTime: created, ReceivedAt: t0, Source: "push"})
			if err != nil {
				t.Fatal(err)
			}
			return cur
		}
		if !save("new", t0) || save("old", t0.Add(-time.Hour)) {
			t.Fatal("currency wrong")
		}
		cur, err := db.CurrentTicket(ctx, "wxc")
		if err != nil || cur.Ticket != "new" {
			t.Fatalf("current = %+v %v", cur, err)
		}
		if _, err := db.CurrentTicket(ctx, "other"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestComponentTokenCAS(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		tok := storage.ComponentToken{ComponentAppID: "wxc", Token: "a", ObtainedAt: t0, ExpiresAt: t0.Add(2 * time.Hour)}
		first, err := db.SwapComponentToken(ctx, 0, tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SwapComponentToken(ctx, 0, tok); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("second insert: %v", err)
		}
		tok.Token = "b"
		if _, err := db.SwapComponentToken(ctx, first.Version, tok); err != nil {
			t.Fatal(err)
		}
		tok.Token = "stale"
		if _, err := db.SwapComponentToken(ctx, first.Version, tok); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("stale writer: %v", err)
		}
		got, _ := db.ComponentToken(ctx, "wxc")
		if got.Token != "b" {
			t.Fatalf("token = %q", got.Token)
		}
		if _, err := db.SwapComponentToken(ctx, got.Version, storage.ComponentToken{ComponentAppID: "wxc"}); err == nil {
			t.Fatal("empty token stored")
		}
	})
}

func TestRefreshTokenNeverLost(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		g := storage.Grant{ComponentAppID: "wxc", AppID: "wxa", AccessToken: "at1", ExpiresAt: t0.Add(2 * time.Hour), RefreshToken: "rt1", FuncInfo: []int{1, 2}, At: t0, Source: "redirect"}
		if _, err := db.SaveGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		// An updateauthorized exchange that returns no tokens keeps the old ones.
		prev, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", FuncInfo: []int{1}, At: t0.Add(time.Minute), Source: "push"})
		if err != nil || len(prev.FuncInfo) != 2 {
			t.Fatalf("prev = %+v %v", prev, err)
		}
		a, _ := db.Authorizer(ctx, "wxc", "wxa")
		if a.RefreshToken != "rt1" || a.AccessToken != "at1" {
			t.Fatalf("tokens lost: %+v", a)
		}
		// A refresh that returns an empty refresh token keeps the stored one.
		prevVersion := a.AccessVersion
		if err := db.SwapAuthorizerToken(ctx, "wxc", "wxa", prevVersion, "at2", t0, t0.Add(2*time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		a, _ = db.Authorizer(ctx, "wxc", "wxa")
		if a.RefreshToken != "rt1" || a.AccessToken != "at2" || a.AccessVersion != prevVersion+1 {
			t.Fatalf("after the swap: %+v, want version %d", a, prevVersion+1)
		}
		if err := db.SwapAuthorizerToken(ctx, "wxc", "wxa", a.AccessVersion-1, "at3", t0, t0, "rt9"); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("stale swap: %v", err)
		}
		if err := db.RecoverRefreshToken(ctx, "wxc", "wxa", "", t0); err == nil {
			t.Fatal("empty refresh token recovered")
		}
		if err := db.RecoverRefreshToken(ctx, "wxc", "wxa", "rt2", t0); err != nil {
			t.Fatal(err)
		}
		hist, _ := db.RefreshTokenHistory(ctx, "wxc", "wxa")
		if len(hist) != 2 || hist[0] != "rt1" || hist[1] != "rt2" {
			t.Fatalf("history = %v", hist)
		}
	})
}

// TestLeaseIsExclusiveAcrossConnections: of four handles racing for a lease one wins; the
// holder renews, and another gets it only once it expired (real time, as the database's clock
// decides on MySQL).
func TestLeaseIsExclusiveAcrossConnections(t *testing.T) {
	eachTarget(t, func(t *testing.T, target string) {
		ctx := context.Background()
		var dbs []*storage.DB
		for i := 0; i < 4; i++ {
			dbs = append(dbs, openTarget(t, target))
		}
		var mu sync.Mutex
		winners := 0
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := db.AcquireLease(ctx, "refresh/wxc", string(rune('a'+i)), time.Now(), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if winners != 1 {
			t.Fatalf("%d winners", winners)
		}
		holder, until, _ := dbs[0].LeaseHolder(ctx, "refresh/wxc")
		if holder == "" || time.Until(until) < 30*time.Second {
			t.Fatalf("lease = %q until %v", holder, until)
		}
		if ok, err := dbs[1].AcquireLease(ctx, "refresh/wxc", "zz", time.Now(), time.Minute); ok || err != nil {
			t.Fatalf("taken before expiry: %v %v", ok, err)
		}
		// The holder renews for a short while; another takes it once that ran out.
		if ok, _ := dbs[2].AcquireLease(ctx, "refresh/wxc", holder, time.Now(), 300*time.Millisecond); !ok {
			t.Fatal("holder could not renew")
		}
		waitFor(t, "the lease to expire", func() bool {
			ok, err := dbs[3].AcquireLease(ctx, "refresh/wxc", "zz", time.Now(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		})
		if h, _, _ := dbs[0].LeaseHolder(ctx, "refresh/wxc"); h != "zz" {
			t.Fatalf("holder = %q", h)
		}
		if err := dbs[0].ReleaseLease(ctx, "refresh/wxc", holder); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := dbs[0].LeaseHolder(ctx, "refresh/wxc"); h != "zz" {
			t.Fatalf("a former holder's release freed the lease: holder = %q", h)
		}
	})
}

func TestSessionSingleUse(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.CreateSession(ctx, storage.Session{ID: "s1", ComponentAppID: "wxc", PreAuthCode: "p", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimSession(ctx, "s1", "code", "redirect", "p1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimSession(ctx, "s1", "code2", "push", "p2"); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("second claim: %v", err)
		}
		if _, err := db.ClaimSession(ctx, "nope", "c", "paste", "p3"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		s, err := db.SessionByPreAuthCode(ctx, "wxc", "p")
		if err != nil || s.AuthCode != "code" || s.CodeSource != "redirect" {
			t.Fatalf("session = %+v %v", s, err)
		}
	})
}

// TestReleaseSession: a refused code gives the session back, once, and only the claim of
// that code; a finished session stays finished.
func TestReleaseSession(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		if err := db.CreateSession(ctx, storage.Session{ID: "s1", ComponentAppID: "wxc", PreAuthCode: "p", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseSession(ctx, "s1", ""); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("releasing a pending session: %v", err)
		}
		if _, err := db.ClaimSession(ctx, "s1", "bogus", "paste", "p1"); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseSession(ctx, "s1", "other"); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("releasing another code's claim: %v", err)
		}
		if err := db.ReleaseSession(ctx, "s1", "bogus"); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Session(ctx, "s1"); s.State != storage.SessionPending || s.AuthCode != "" || s.CodeSource != "" {
			t.Fatalf("released session = %+v", s)
		}
		if err := db.ReleaseSession(ctx, "s1", "bogus"); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("second release: %v", err)
		}
		if _, err := db.ClaimSession(ctx, "s1", "genuine", "redirect", "p2"); err != nil {
			t.Fatalf("claim after release: %v", err)
		}
		if err := db.FinishSession(ctx, "s1", "wxa", "", t0); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseSession(ctx, "s1", "genuine"); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("releasing a done session: %v", err)
		}
	})
}

func TestCallCountsPerQuotaDay(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		// 15:59 UTC and 16:01 UTC fall on different days in China.
		for _, at := range []time.Time{t0.Add(13*time.Hour + 59*time.Minute), t0.Add(13*time.Hour + 59*time.Minute), t0.Add(14*time.Hour + time.Minute)} {
			if err := db.CountCall(ctx, "wxc", "api_component_token", at); err != nil {
				t.Fatal(err)
			}
		}
		c, _ := db.CallCounts(ctx, "wxc", t0.Add(13*time.Hour))
		if c["api_component_token"] != 2 {
			t.Fatalf("counts = %v", c)
		}
	})
}
