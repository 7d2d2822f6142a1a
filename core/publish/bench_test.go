package publish_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/publish"
	"wxauth/core/publish/redistest"
)

// The publishing figures of README's performance section. A measurement, not a test: it runs
// only with WXAUTH_BENCH_PUBLISH=1 and asserts no timing.
//
//	WXAUTH_BENCH_PUBLISH=1 go test -count=1 -run TestPublishFigures -v ./core/publish/
func TestPublishFigures(t *testing.T) {
	if os.Getenv("WXAUTH_BENCH_PUBLISH") != "1" {
		t.Skip("set WXAUTH_BENCH_PUBLISH=1 to measure the publishing figures")
	}
	rs := redistest.Start(t, "")
	renewalToRedis(t, rs)
	fullSync(t, rs, 10_000)
}

// renewalToRedis: 1,000 renewals through the simulator; for each, the time from the renewal
// being stored to its new value readable in Redis. Baseline: one SET + GET round trip.
func renewalToRedis(t *testing.T, rs *redistest.Server) {
	e := startEnv(t)
	appid := firstMiniProgram(t)
	e.addSink(t, flow.Sink{URL: rs.URL(0), Format: "silenceper", Authorizers: true})
	e.run(t, e.sb.Engine, publish.Options{})
	e.authorize(t, appid)
	c := rs.Client(0)
	key := "authorizer_access_token_" + appid
	waitFor(t, "the first key", func() bool { return c.Exists(e.ctx, key).Val() == 1 })

	var base []time.Duration
	for i := range 1000 {
		start := time.Now()
		c.Set(e.ctx, "baseline", i, time.Minute)
		c.Get(e.ctx, "baseline")
		base = append(base, time.Since(start))
	}
	var lags []time.Duration
	for range 1000 {
		if err := e.sb.Engine.RefreshAuthorizer(e.ctx, e.comp, appid); err != nil {
			t.Fatal(err)
		}
		stored := time.Now()
		tok := e.authorizer(t, appid).AccessToken
		for c.Get(e.ctx, key).Val() != tok {
			if time.Since(stored) > time.Minute {
				t.Fatal("a renewal never reached Redis")
			}
		}
		lags = append(lags, time.Since(stored))
	}
	p50, p99 := pct(lags, 50), pct(lags, 99)
	b50 := pct(base, 50)
	fmt.Printf("renewal → Redis over %d renewals: p50 %s, p99 %s; baseline SET+GET round trip p50 %s (p50 ratio %.1f×)\n",
		len(lags), p50, p99, b50, float64(p50)/float64(b50))
}

// fullSync: n authorizers of one platform written from scratch by a new publisher (pipelined),
// against a baseline of the same n SETs sent one by one.
func fullSync(t *testing.T, rs *redistest.Server, n int) {
	ctx := t.Context()
	c := rs.Client(1)
	start := time.Now()
	for i := range n {
		c.Set(ctx, fmt.Sprintf("baseline:%d", i), "x", time.Hour)
	}
	oneByOne := time.Since(start)
	c.FlushDB(ctx)

	feed := newFakeFeed(n)
	eng := &fakeEngine{sinks: []flow.Sink{{ID: 1, URL: rs.URL(1), Format: "silenceper", Component: true, Authorizers: true}}}
	pub := publish.New(eng, feed, publish.Options{})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start = time.Now()
	go pub.Run(runCtx)
	waitFor(t, "the full sync", func() bool {
		h := pub.Health()
		return len(h) == 1 && h[0].Syncs >= 1
	})
	took := time.Since(start)
	if got := c.DBSize(ctx).Val(); got != int64(n+1) {
		t.Fatalf("%d keys after the full sync, want %d", got, n+1)
	}
	fmt.Printf("full sync of %d authorizers (+ component token): %s pipelined; baseline %d SETs one by one %s (%.1f× faster)\n",
		n, took.Round(time.Millisecond), n, oneByOne.Round(time.Millisecond), float64(oneByOne)/float64(took))
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// fakeFeed holds n authorizers of one platform, all usable for two hours.
type fakeFeed struct {
	mu    sync.Mutex
	creds map[flow.CredentialKey]flow.Credential
	ready chan struct{}
}

func newFakeFeed(n int) *fakeFeed {
	f := &fakeFeed{creds: map[flow.CredentialKey]flow.Credential{}, ready: make(chan struct{})}
	close(f.ready)
	exp := time.Now().Add(2 * time.Hour)
	add := func(c flow.Credential) { f.creds[c.Key()] = c }
	add(flow.Credential{ComponentAppID: "wx0000000000000001", Token: "component-token", ExpiresAt: exp, Ticket: "ticket@@@x"})
	for i := range n {
		add(flow.Credential{ComponentAppID: "wx0000000000000001", AuthorizerAppID: fmt.Sprintf("wx%016x", i+1),
			Token: fmt.Sprintf("authorizer-token-%08d", i), ExpiresAt: exp, Status: flow.AuthorizerHealthy, RefreshToken: "r"})
	}
	return f
}

func (f *fakeFeed) Ready() <-chan struct{} { return f.ready }
func (f *fakeFeed) All() []flow.Credential {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]flow.Credential, 0, len(f.creds))
	for _, c := range f.creds {
		out = append(out, c)
	}
	return out
}
func (f *fakeFeed) Get(comp, app string) (flow.Credential, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.creds[flow.CredentialKey{ComponentAppID: comp, AuthorizerAppID: app}]
	return c, ok
}
func (f *fakeFeed) Subscribe(int) (<-chan []flow.CredentialChange, func()) {
	return make(chan []flow.CredentialChange), func() {}
}

// fakeEngine holds every lease.
type fakeEngine struct{ sinks []flow.Sink }

func (fakeEngine) Now() time.Time                                                      { return time.Now() }
func (fakeEngine) HoldsLease(context.Context, string) (bool, error)                    { return true, nil }
func (e *fakeEngine) Sinks(context.Context) ([]flow.Sink, error)                       { return e.sinks, nil }
func (fakeEngine) SaveSinkHealth(context.Context, int64, flow.SinkHealth) error        { return nil }
func (fakeEngine) RecordForeignWriter(context.Context, string, string, string, string) {}
func (fakeEngine) Platform(_ context.Context, comp string) (flow.Platform, error) {
	return flow.Platform{ComponentAppID: comp, AppSecret: "secret"}, nil
}
