package tokenclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/tokenclient"
)

// TestCacheAndErrors: a token is served from the cache until the early margin before its
// expiry, an invalid report drops it, and refusals come back typed.
func TestCacheAndErrors(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var gets, reports atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"unauthorized","message":"unknown key","remedy":"rotate"}}`)
			return
		}
		switch r.URL.Path {
		case "/v1/token/wxgone":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"error":{"code":"revoked","message":"cancelled","remedy":"authorize again"}}`)
		case "/v1/token/wxa/invalid":
			reports.Add(1)
			fmt.Fprintf(w, `{"token":"t%d","expires_at":"%s","expires_in":7200,"component_appid":"c","reminted":true}`, 100+reports.Load(), now.Add(2*time.Hour).Format(time.RFC3339))
		default:
			n := gets.Add(1)
			if r.URL.Query().Get("min_valid") != "300" {
				t.Errorf("min_valid = %q", r.URL.Query().Get("min_valid"))
			}
			fmt.Fprintf(w, `{"token":"t%d","expires_at":"%s","expires_in":3600,"component_appid":"c"}`, n, now.Add(time.Hour).Format(time.RFC3339))
		}
	}))
	defer srv.Close()
	clock := now
	c := tokenclient.New(srv.URL, "k", tokenclient.WithClock(func() time.Time { return clock }))
	ctx := context.Background()
	for range 3 {
		if tok, err := c.Authorizer(ctx, "wxa"); err != nil || tok != "t1" {
			t.Fatalf("Authorizer = %q, %v", tok, err)
		}
	}
	clock = now.Add(56 * time.Minute) // within 5 minutes of expiry: asked again
	if tok, _ := c.Authorizer(ctx, "wxa"); tok != "t2" || gets.Load() != 2 {
		t.Fatalf("after the early margin: %q, %d gets", tok, gets.Load())
	}
	if tok, err := c.Invalid(ctx, "wxa", "t2"); err != nil || tok != "t101" {
		t.Fatalf("Invalid = %q, %v", tok, err)
	}
	if tok, _ := c.Authorizer(ctx, "wxa"); tok != "t101" || gets.Load() != 2 {
		t.Fatalf("the reported token's answer is not cached: %q", tok)
	}
	_, err := c.Authorizer(ctx, "wxgone")
	var ae *tokenclient.Error
	if !errors.Is(err, tokenclient.ErrNeedsUser) || !errors.As(err, &ae) || ae.Code != "revoked" || ae.Remedy == "" || ae.RetryAfter != 7*time.Second {
		t.Fatalf("revoked: %v", err)
	}
	if errors.Is(err, tokenclient.ErrUnavailable) {
		t.Fatal("a 409 matches ErrUnavailable")
	}
	_, err = tokenclient.New(srv.URL, "bad").ComponentToken(ctx)
	if !errors.Is(err, tokenclient.ErrUnauthorized) {
		t.Fatalf("bad key: %v", err)
	}
}
