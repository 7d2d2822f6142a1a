package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// fillCopy writes a little of everything into db.
func fillCopy(t *testing.T, db *storage.DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", AppSecret: "s", Token: "t", EncodingAESKey: "k", AuthDomain: "d", CreatedAt: t0}))
	_, _, err := db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wxc", Ticket: "tk", CreateTime: t0, ReceivedAt: t0, Source: "push"})
	must(err)
	_, err = db.SwapComponentToken(ctx, 0, storage.ComponentToken{ComponentAppID: "wxc", Token: "ct", ObtainedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	must(err)
	for i, rt := range []string{"rt-b", "rt-a", "rt-c"} { // not in alphabetical order: insertion order must survive
		_, err = db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", AccessToken: "at", RefreshToken: rt, FuncInfo: []int{1, 17}, At: t0, Source: "redirect"})
		must(err)
		_ = i
	}
	must(db.SetAuthorizerInfo(ctx, "wxc", "wxa", "拾光咖啡", "gh_1", "公司", "miniprogram", `{"a":1}`, t0))
	must(db.CreateSession(ctx, storage.Session{ID: "s1", ComponentAppID: "wxc", PreAuthCode: "p1", CreatedAt: t0}))
	must(db.CreateSession(ctx, storage.Session{ID: "s0", ComponentAppID: "wxc", PreAuthCode: "p0", CreatedAt: t0}))
	must(db.AppendEvent(ctx, storage.Event{At: t0, ComponentAppID: "wxc", Kind: "k", Level: "info", Message: "hello"}))
	must(db.CountCall(ctx, "wxc", "api_component_token", t0))
	must(db.CountFault(ctx, "wxc", "-1", t0))
	_, err = db.RequestRenewal(ctx, "wxc", "component", t0)
	must(err)
}

// checkCopy reads back what fillCopy wrote.
func checkCopy(t *testing.T, db *storage.DB) {
	t.Helper()
	ctx := context.Background()
	a, err := db.Authorizer(ctx, "wxc", "wxa")
	if err != nil || a.NickName != "拾光咖啡" || a.RefreshToken != "rt-c" || len(a.FuncInfo) != 2 || a.Status != storage.StatusHealthy {
		t.Fatalf("authorizer = %+v %v", a, err)
	}
	if h, _ := db.RefreshTokenHistory(ctx, "wxc", "wxa"); strings.Join(h, ",") != "rt-b,rt-a,rt-c" {
		t.Fatalf("history = %v", h)
	}
	if s, _ := db.LatestSession(ctx, "wxc"); s.ID != "s0" {
		t.Fatalf("latest session = %q (insertion order lost)", s.ID)
	}
	if _, err := db.ClaimSession(ctx, "s1", "code", "paste", "me"); err != nil {
		t.Fatalf("claiming a copied session: %v", err)
	}
	if tok, _ := db.ComponentToken(ctx, "wxc"); tok.Token != "ct" || tok.Version != 1 {
		t.Fatalf("component token = %+v", tok)
	}
	if c, _ := db.CallCounts(ctx, "wxc", t0); c["api_component_token"] != 1 {
		t.Fatalf("calls = %v", c)
	}
	if p, _ := db.PendingRenewals(ctx, "wxc"); len(p) != 1 {
		t.Fatalf("renewals = %v", p)
	}
	// The ids continue after the copied ones.
	if err := db.AppendEvent(ctx, storage.Event{At: t0, ComponentAppID: "wxc", Kind: "k", Level: "info", Message: "after"}); err != nil {
		t.Fatal(err)
	}
	if evs, _ := db.Events(ctx, "wxc", 5); len(evs) != 2 || evs[0].Message != "after" || evs[1].Message != "hello" {
		t.Fatalf("events = %+v", evs)
	}
}

// TestCopyBothWays: SQLite → MariaDB → SQLite keeps every row, the insertion order and the
// ids; a non-empty target is refused.
func TestCopyBothWays(t *testing.T) {
	ctx := context.Background()
	lite := openTarget(t, filepath.Join(t.TempDir(), "a.db"))
	fillCopy(t, lite)
	server := openTarget(t, maria.URL(t, true))
	counts, err := lite.CopyTo(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, c := range counts {
		total += c.Target
	}
	if len(counts) < 10 || total < 12 {
		t.Fatalf("counts = %+v", counts)
	}
	back := openTarget(t, filepath.Join(t.TempDir(), "b.db"))
	if _, err := server.CopyTo(ctx, back); err != nil {
		t.Fatal(err)
	}
	if _, err := lite.CopyTo(ctx, server); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a non-empty database: %v", err)
	}
	checkCopy(t, server)
	checkCopy(t, back)
}
