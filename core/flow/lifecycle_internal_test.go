package flow

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"wxauth/storage"
)

func TestSessionMoves(t *testing.T) {
	all := []SessionState{SessionPending, SessionExchanging, SessionDone, SessionFailed}
	legal := map[[2]SessionState]bool{
		{SessionPending, SessionExchanging}:    true,
		{SessionExchanging, SessionExchanging}: true, // resumed after a stopped process
		{SessionExchanging, SessionDone}:       true,
		{SessionExchanging, SessionFailed}:     true,
		{SessionExchanging, SessionPending}:    true, // WeChat refused the code; the pre_auth_code still holds
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanMove(to); got != legal[[2]SessionState{from, to}] {
				t.Errorf("session %s → %s: CanMove = %v", from, to, got)
			}
		}
	}
}

func TestAuthorizerMoves(t *testing.T) {
	all := []AuthorizerStatus{AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerRevoked, AuthorizerNoToken, AuthorizerError}
	for _, tc := range []struct {
		to   AuthorizerStatus
		from []AuthorizerStatus
	}{
		{AuthorizerRevoked, all}, // the merchant cancelled: whatever we thought before
		{AuthorizerError, []AuthorizerStatus{AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerNoToken, AuthorizerError}},
		{AuthorizerNeedsReauth, []AuthorizerStatus{AuthorizerHealthy, AuthorizerSuperseded, AuthorizerNeedsReauth, AuthorizerNoToken, AuthorizerError}},
		{AuthorizerSuperseded, []AuthorizerStatus{AuthorizerHealthy, AuthorizerError}},
		{AuthorizerHealthy, nil}, // only a grant or a refreshed token makes an account healthy
		{AuthorizerNoToken, nil}, // only a grant
	} {
		for _, from := range all {
			want := false
			for _, f := range tc.from {
				want = want || f == from
			}
			if got := from.CanMove(tc.to); got != want {
				t.Errorf("authorizer %s → %s: CanMove = %v, want %v", from, tc.to, got, want)
			}
		}
	}
}

// TestIllegalMovesAreRefused goes through the store: an illegal move is an error and changes
// nothing; a legal one is written.
func TestIllegalMovesAreRefused(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := New(Config{Store: db})
	const comp, appid = "wx1111111111111111", "wx2222222222222222"
	now := time.Now()
	if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: comp, AppID: appid, AccessToken: "a", ExpiresAt: now.Add(time.Hour),
		RefreshToken: "refreshtoken@@@r", At: now, Source: "paste"}); err != nil {
		t.Fatal(err)
	}
	if err := e.moveAuthorizer(ctx, comp, appid, AuthorizerRevoked, "cancelled"); err != nil {
		t.Fatalf("healthy → revoked: %v", err)
	}
	err = e.moveAuthorizer(ctx, comp, appid, AuthorizerError, "-1 system error")
	var te *TransitionError
	if !errors.As(err, &te) || te.From != "revoked" || te.To != "error" {
		t.Fatalf("revoked → error: err = %v, want a TransitionError", err)
	}
	if a, _ := e.loadAuthorizer(ctx, comp, appid); a.Status != AuthorizerRevoked || a.LastError != "cancelled" {
		t.Fatalf("after the refused move: status %s, last error %q", a.Status, a.LastError)
	}

	if err := db.CreateSession(ctx, Session{ID: "s1", ComponentAppID: comp, PreAuthCode: "p", PreAuthExpiresAt: now.Add(time.Minute), CreatedAt: now}.row()); err != nil {
		t.Fatal(err)
	}
	if err := e.finishSession(ctx, "s1", appid, ""); !errors.As(err, &te) || te.From != "pending" || te.To != "done" {
		t.Fatalf("pending → done: err = %v, want a TransitionError", err)
	}
	if err := e.releaseSession(ctx, "s1", ""); !errors.As(err, &te) || te.From != "pending" || te.To != "pending" {
		t.Fatalf("pending → pending: err = %v, want a TransitionError", err)
	}
	// A refused code gives the session back; only the claim of that code is released.
	if _, err := e.claimSession(ctx, "s1", "queryauthcode@@@typo", SourcePaste); err != nil {
		t.Fatal(err)
	}
	if err := e.releaseSession(ctx, "s1", "queryauthcode@@@other"); !errors.As(err, &te) || te.From != "exchanging" {
		t.Fatalf("releasing another code's claim: err = %v, want a TransitionError", err)
	}
	if err := e.releaseSession(ctx, "s1", "queryauthcode@@@typo"); err != nil {
		t.Fatalf("exchanging → pending: %v", err)
	}
	if s, _ := e.loadSession(ctx, "s1"); s.State != SessionPending || s.AuthCode != "" || s.CodeSource != "" {
		t.Fatalf("released session: %+v", s)
	}
	if _, err := e.claimSession(ctx, "s1", "queryauthcode@@@c", SourcePaste); err != nil {
		t.Fatal(err)
	}
	if err := e.finishSession(ctx, "s1", appid, ""); err != nil {
		t.Fatalf("exchanging → done: %v", err)
	}
	if err := e.finishSession(ctx, "s1", "", "late failure"); !errors.As(err, &te) || te.From != "done" {
		t.Fatalf("done → failed: err = %v, want a TransitionError", err)
	}
	if err := e.releaseSession(ctx, "s1", "queryauthcode@@@c"); !errors.As(err, &te) || te.From != "done" {
		t.Fatalf("done → pending: err = %v, want a TransitionError", err)
	}
	if s, _ := e.loadSession(ctx, "s1"); s.State != SessionDone || s.AuthorizerAppID != appid {
		t.Fatalf("session after the refused move: %+v", s)
	}
}
