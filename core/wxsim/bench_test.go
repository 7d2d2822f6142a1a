package wxsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// benchEnv is a simulator on loopback with quotas out of the way and a client whose pool
// keeps enough idle connections for the parallel benchmarks.
func benchEnv(b *testing.B) (*wxsim.Sim, *wxapi.Client, wxsim.Platform) {
	b.Helper()
	w := wxsim.DefaultWorld()
	w.Platforms[0].EventURL = ""
	w.Settings.DailyQuota = map[string]int{"api_component_token": 1_000_000_000, "api_authorizer_token": 1_000_000_000}
	s, err := wxsim.New(w, wxsim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(func() {
		srv.Close()
		_ = s.Close()
	})
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return s, wxapi.NewClient(hc, wxapi.WithBaseURL(srv.URL)), w.Platforms[0]
}

func reportRate(b *testing.B, begin time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "req/s")
}

func BenchmarkComponentToken(b *testing.B) {
	s, c, p := benchEnv(b)
	ctx := context.Background()
	ticket := s.CurrentTicket(p.ComponentAppID)
	b.Run("serial", func(b *testing.B) {
		begin := time.Now()
		for b.Loop() {
			if _, err := c.ComponentToken(ctx, p.ComponentAppID, p.ComponentAppSecret, ticket); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, begin)
	})
	b.Run("parallel", func(b *testing.B) {
		begin := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.ComponentToken(ctx, p.ComponentAppID, p.ComponentAppSecret, ticket); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, begin)
	})
}

func BenchmarkAuthorizerToken(b *testing.B) {
	s, c, p := benchEnv(b)
	ctx := context.Background()
	tok, err := c.ComponentToken(ctx, p.ComponentAppID, p.ComponentAppSecret, s.CurrentTicket(p.ComponentAppID))
	if err != nil {
		b.Fatal(err)
	}
	pre, err := c.CreatePreAuthCode(ctx, tok.ComponentAccessToken, p.ComponentAppID)
	if err != nil {
		b.Fatal(err)
	}
	appid := wxsim.DefaultWorld().Accounts[0].AppID
	res, err := s.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: p.ComponentAppID, PreAuthCode: pre.PreAuthCode, AuthorizerAppID: appid})
	if err != nil {
		b.Fatal(err)
	}
	qa, err := c.QueryAuth(ctx, tok.ComponentAccessToken, p.ComponentAppID, res.AuthCode)
	if err != nil {
		b.Fatal(err)
	}
	refresh := qa.AuthorizationInfo.AuthorizerRefreshToken
	b.Run("serial", func(b *testing.B) {
		begin := time.Now()
		for b.Loop() {
			if _, err := c.AuthorizerToken(ctx, tok.ComponentAccessToken, p.ComponentAppID, appid, refresh); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, begin)
	})
	b.Run("parallel", func(b *testing.B) {
		begin := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.AuthorizerToken(ctx, tok.ComponentAccessToken, p.ComponentAppID, appid, refresh); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, begin)
	})
}
