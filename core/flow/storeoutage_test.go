package flow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// outageEngine is an engine on the sandbox's database seen through a faultyStore. The
// simulator's pushes are sent nowhere, so only this engine acts on what WeChat hands out.
func outageEngine(t *testing.T, sb *sandbox.Sandbox, logs *syncBuffer) (*flow.Engine, *faultyStore) {
	t.Helper()
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, "http://127.0.0.1:9/wechat/events", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	fs := newFaultyStore(sb.DB)
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	eng := flow.New(flow.Config{Store: fs, Clock: sb.Sim, Holder: "outage-test", Logger: logger, HeldDeadline: time.Second})
	t.Cleanup(eng.Close)
	return eng, fs
}

// waitFor polls cond until it holds, failing after a deadline generous for a busy machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func heldOnly(t *testing.T, h flow.StoreHealth, what, appid string) {
	t.Helper()
	if h.Reachable || h.Since.IsZero() || !strings.Contains(h.Err, "connection refused") {
		t.Fatalf("health during the outage = %+v, want unreachable since a time, with the cause", h)
	}
	if len(h.Held) != 1 || h.Held[0].What != what || h.Held[0].AuthorizerAppID != appid {
		t.Fatalf("held = %+v, want the %s of %s", h.Held, what, appid)
	}
}

func TestGrantExchangedDuringOutageIsStoredWhenStoreReturns(t *testing.T) {
	sb, ctx := start(t)
	eng, fs := outageEngine(t, sb, nil)
	cid, account := sb.Platform.ComponentAppID, firstMiniProgram(t)
	auth, err := eng.StartAuthorization(ctx, cid, flow.AuthOptions{BizAppID: account})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: cid, PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: account})
	if err != nil {
		t.Fatal(err)
	}
	fs.failFrom("SaveGrant") // the database goes away while api_query_auth is answered
	_, err = eng.CaptureCode(ctx, auth.Session.ID, res.AuthCode, flow.SourceRedirect)
	var held *flow.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("CaptureCode during the outage = %v, want a HeldError", err)
	}
	heldOnly(t, eng.StoreHealth(), "grant", account)
	if _, err := sb.DB.Authorizer(ctx, cid, account); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the grant reached the store during the outage: %v", err)
	}

	fs.setDown(false)
	waitFor(t, "the held grant to be stored", func() bool {
		h := eng.StoreHealth()
		return h.Reachable && len(h.Held) == 0
	})
	a, err := sb.DB.Authorizer(ctx, cid, account)
	if err != nil || a.RefreshToken == "" || a.AccessToken == "" || a.Status != storage.StatusHealthy {
		t.Fatalf("stored after the outage: %+v, %v", a, err)
	}
	s, err := eng.Session(ctx, auth.Session.ID)
	if err != nil || s.State != flow.SessionDone || s.AuthorizerAppID != account {
		t.Fatalf("session after the outage: %+v, %v", s, err)
	}
	// The stored refresh token is the one WeChat holds: a refresh with it works.
	if err := eng.RefreshAuthorizer(ctx, cid, account); err != nil {
		t.Fatalf("refresh after the outage: %v", err)
	}
	waitEventKind(t, sb, cid, flow.EventStoreBack, "unreachable from")
}

func TestRecoveredRefreshTokenIsNeverLost(t *testing.T) {
	sb, ctx := start(t)
	cid, account := sb.Platform.ComponentAppID, firstMiniProgram(t)
	authorize(t, sb, ctx, account, flow.AuthOptions{BizAppID: account})
	eng, fs := outageEngine(t, sb, nil)
	// The merchant authorizes again elsewhere: WeChat rotates the refresh token and ours fails
	// with 61023; the current one is only in api_get_authorizer_list.
	auth, err := eng.StartAuthorization(ctx, cid, flow.AuthOptions{BizAppID: account})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: cid, PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: account}); err != nil {
		t.Fatal(err)
	}
	sb.Sim.Advance(sb.Sim.Settings().RefreshTokenGrace.D() + time.Second) // the old one now fails with 61023
	before, _ := sb.DB.Authorizer(ctx, cid, account)
	fs.failFrom("RecoverRefreshToken")
	var held *flow.HeldError
	if err := eng.RefreshAuthorizer(ctx, cid, account); !errors.As(err, &held) {
		t.Fatalf("refresh during the outage = %v, want a HeldError", err)
	}
	heldOnly(t, eng.StoreHealth(), "refresh token", account)

	fs.setDown(false)
	waitFor(t, "the recovered refresh token to be stored", func() bool {
		a, err := sb.DB.Authorizer(ctx, cid, account)
		return err == nil && a.RefreshToken != before.RefreshToken && len(eng.StoreHealth().Held) == 0
	})
	if err := eng.RefreshAuthorizer(ctx, cid, account); err != nil {
		t.Fatalf("refresh with the recovered token: %v", err)
	}
}

func TestRefreshedTokenHeldIsServedByTheFeedAndStored(t *testing.T) {
	sb, ctx := start(t)
	cid, account := sb.Platform.ComponentAppID, firstMiniProgram(t)
	authorize(t, sb, ctx, account, flow.AuthOptions{BizAppID: account})
	eng, fs := outageEngine(t, sb, nil)
	feed := eng.NewTokenFeed(20 * time.Millisecond)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go feed.Run(fctx)
	<-feed.Ready()

	fs.failFrom("SwapAuthorizerToken")
	var held *flow.HeldError
	if err := eng.RefreshAuthorizer(ctx, cid, account); !errors.As(err, &held) {
		t.Fatalf("refresh during the outage = %v, want a HeldError", err)
	}
	heldOnly(t, eng.StoreHealth(), "access token", account)
	stored, _ := sb.DB.Authorizer(ctx, cid, account)
	var fresh string
	waitFor(t, "the feed to serve the held token", func() bool {
		c, ok := feed.Get(cid, account)
		fresh = c.Token
		return ok && c.Token != stored.AccessToken && c.Token != ""
	})
	if info := sb.Sim.CheckToken(fresh); !info.Valid {
		t.Fatalf("the feed serves a token WeChat does not know: %+v", info)
	}

	fs.setDown(false)
	waitFor(t, "the held token to be stored", func() bool {
		a, err := sb.DB.Authorizer(ctx, cid, account)
		return err == nil && a.AccessToken == fresh && len(eng.StoreHealth().Held) == 0
	})
}

func TestRefresherKeepsRunningAndLogsAnOutageOnce(t *testing.T) {
	sb, ctx := start(t)
	cid, account := sb.Platform.ComponentAppID, firstMiniProgram(t)
	authorize(t, sb, ctx, account, flow.AuthOptions{BizAppID: account})
	var logs syncBuffer
	eng, fs := outageEngine(t, sb, &logs)
	fs.setDown(true)
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- eng.RunRefresher(rctx, 10*time.Millisecond) }()
	feed := eng.NewTokenFeed(10 * time.Millisecond)
	go feed.Run(rctx)
	waitFor(t, "many refused store calls", func() bool { return fs.calls.Load() > 200 })
	select {
	case err := <-stopped:
		t.Fatalf("the refresher stopped during the outage: %v", err)
	default:
	}
	h := eng.StoreHealth()
	if h.Reachable || h.Since.IsZero() {
		t.Fatalf("health = %+v", h)
	}
	if n := strings.Count(logs.String(), "store unreachable"); n != 1 {
		t.Fatalf("the outage was logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "refresh pass") || strings.Contains(logs.String(), "token feed") {
		t.Fatalf("a tick logged the outage again:\n%s", logs.String())
	}
	fs.setDown(false)
	waitFor(t, "the outage to clear", func() bool { return eng.StoreHealth().Reachable })
	waitEventKind(t, sb, cid, flow.EventStoreBack, "store reachable again")
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func TestStoreUnavailableClassifiesConnectivityOnly(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{newFaultyStoreErr(), true},
		{&storage.FileError{Kind: storage.ErrReadOnly}, true},
		{&storage.FileError{Kind: storage.ErrCorrupt}, false},
		{storage.ErrConflict, false},
		{storage.ErrNotFound, false},
		{context.Canceled, false},
		{errors.New("refusing to store an empty refresh token"), false},
		{fmt.Errorf("saving the grant: %w", errors.New("invalid connection")), true}, // go-sql-driver/mysql's ErrInvalidConn
	} {
		if got := flow.StoreUnavailable(tc.err); got != tc.want {
			t.Errorf("StoreUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func newFaultyStoreErr() error {
	f := newFaultyStore(nil)
	f.setDown(true)
	return f.check("Platforms")
}

// waitEventKind waits for an event of kind in the event log whose message contains text.
func waitEventKind(t *testing.T, sb *sandbox.Sandbox, cid string, kind flow.EventKind, text string) {
	t.Helper()
	waitFor(t, string(kind)+" in the event log", func() bool {
		evs, err := sb.DB.Events(context.Background(), cid, 50)
		for _, ev := range evs {
			if ev.Kind == string(kind) && strings.Contains(ev.Message, text) {
				return err == nil
			}
		}
		return false
	})
}

// syncBuffer is a bytes.Buffer safe for a logger and a test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestShutdownWithHeldGrantNamesItAndImportRecoversIt: stopped while the store is still away,
// the engine names the credential it could not store (never the token) after trying until its
// deadline; once the store is back, `wxauth import` (api_get_authorizer_list) recovers the
// grant from WeChat, so the merchant does not authorize again.
func TestShutdownWithHeldGrantNamesItAndImportRecoversIt(t *testing.T) {
	sb, ctx := start(t)
	var logs syncBuffer
	eng, fs := outageEngine(t, sb, &logs)
	cid, account := sb.Platform.ComponentAppID, firstMiniProgram(t)
	auth, err := eng.StartAuthorization(ctx, cid, flow.AuthOptions{BizAppID: account})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: cid, PreAuthCode: auth.Session.PreAuthCode, AuthorizerAppID: account})
	if err != nil {
		t.Fatal(err)
	}
	fs.failFrom("SaveGrant")
	if _, err := eng.CaptureCode(ctx, auth.Session.ID, res.AuthCode, flow.SourceRedirect); err == nil {
		t.Fatal("CaptureCode stored the grant with the store down")
	}
	eng.Close() // HeldDeadline is 1 s in outageEngine
	out := logs.String()
	for _, want := range []string{"credentials lost at shutdown", "the grant of " + account, "wxauth import"} {
		if !strings.Contains(out, want) {
			t.Errorf("shutdown log lacks %q:\n%s", want, out)
		}
	}
	fs.setDown(false)
	rep, err := sb.Engine.ImportAuthorizers(ctx, cid, nil)
	if err != nil || rep.Count(flow.AdoptImported) != 1 {
		t.Fatalf("import after the outage: %s, %v", rep.Summary(), err)
	}
	a, err := sb.DB.Authorizer(ctx, cid, account)
	if err != nil || a.RefreshToken == "" || a.AccessToken == "" {
		t.Fatalf("recovered: %+v, %v", a, err)
	}
	if info := sb.Sim.CheckToken(a.AccessToken); !info.Valid {
		t.Fatalf("the recovered token is refused at WeChat: %+v", info)
	}
	if strings.Contains(out, a.RefreshToken) {
		t.Errorf("the shutdown log shows the refresh token:\n%s", out)
	}
}
