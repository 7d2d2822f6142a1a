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

func open(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "sub", "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

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
	db, ctx := open(t), context.Background()
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
}

func TestComponentTokenCAS(t *testing.T) {
	db, ctx := open(t), context.Background()
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
}

func TestRefreshTokenNeverLost(t *testing.T) {
	db, ctx := open(t), context.Background()
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
	a, err = db.SwapAuthorizerToken(ctx, "wxc", "wxa", a.AccessVersion, "at2", t0, t0.Add(2*time.Hour), "")
	if err != nil || a.RefreshToken != "rt1" || a.AccessToken != "at2" {
		t.Fatalf("swap = %+v %v", a, err)
	}
	if _, err := db.SwapAuthorizerToken(ctx, "wxc", "wxa", a.AccessVersion-1, "at3", t0, t0, "rt9"); !errors.Is(err, storage.ErrConflict) {
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
}

func TestLeaseIsExclusiveAcrossConnections(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	var dbs []*storage.DB
	for i := 0; i < 4; i++ {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	var mu sync.Mutex
	winners := 0
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.AcquireLease(ctx, "refresh/wxc", string(rune('a'+i)), t0, time.Minute)
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
	holder, _, _ := dbs[0].LeaseHolder(ctx, "refresh/wxc")
	// The holder renews; others get it only after expiry.
	if ok, _ := dbs[0].AcquireLease(ctx, "refresh/wxc", holder, t0.Add(30*time.Second), time.Minute); !ok {
		t.Fatal("holder could not renew")
	}
	if ok, _ := dbs[0].AcquireLease(ctx, "refresh/wxc", "zz", t0.Add(80*time.Second), time.Minute); ok {
		t.Fatal("taken before expiry")
	}
	if ok, _ := dbs[0].AcquireLease(ctx, "refresh/wxc", "zz", t0.Add(91*time.Second), time.Minute); !ok {
		t.Fatal("not taken after expiry")
	}
}

func TestSessionSingleUse(t *testing.T) {
	db, ctx := open(t), context.Background()
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
}

// TestReleaseSession: a refused code gives the session back, once, and only the claim of
// that code; a finished session stays finished.
func TestReleaseSession(t *testing.T) {
	db, ctx := open(t), context.Background()
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
}

func TestCallCountsPerQuotaDay(t *testing.T) {
	db, ctx := open(t), context.Background()
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
}
