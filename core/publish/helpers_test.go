package publish_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wxauth/core/flow"
	"wxauth/core/publish"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
)

// env is a sandbox platform (simulator + engine holding the lease) and a publisher on its feed.
type env struct {
	sb   *sandbox.Sandbox
	ctx  context.Context
	comp string
}

func startEnv(t *testing.T) *env {
	t.Helper()
	publish.Silence()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	sb, err := sandbox.Start(ctx, sandbox.Options{Refresher: true, Interval: 200 * time.Millisecond,
		DBPath: filepath.Join(t.TempDir(), "wxauth.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	e := &env{sb: sb, ctx: ctx, comp: sb.Platform.ComponentAppID}
	waitFor(t, "the refresher to take the lease and mint the component token", func() bool {
		held, _ := sb.Engine.HoldsLease(ctx, e.comp)
		_, err := sb.DB.ComponentToken(ctx, e.comp)
		return held && err == nil
	})
	return e
}

// run starts a feed and a publisher on eng, stopped at the end of the test.
func (e *env) run(t *testing.T, eng *flow.Engine, opt publish.Options) (*publish.Publisher, *flow.TokenFeed) {
	t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	feed := eng.NewTokenFeed(50 * time.Millisecond)
	pub := publish.New(eng, feed, opt)
	done := make(chan struct{}, 2)
	go func() { feed.Run(ctx); done <- struct{}{} }()
	go func() { pub.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return pub, feed
}

func (e *env) authorize(t *testing.T, appid string) {
	t.Helper()
	a, err := e.sb.Engine.StartAuthorization(e.ctx, e.comp, flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.ApproveAs(e.ctx, a.Session.ID, appid); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.Engine.WaitSession(e.ctx, a.Session.ID); err != nil {
		t.Fatal(err)
	}
}

func (e *env) authorizer(t *testing.T, appid string) flow.Authorizer {
	t.Helper()
	a, err := e.sb.Engine.Authorizer(e.ctx, e.comp, appid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) addSink(t *testing.T, s flow.Sink) flow.Sink {
	t.Helper()
	s, err := e.sb.Engine.AddSink(e.ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func firstMiniProgram(t *testing.T) string {
	t.Helper()
	for _, a := range wxsim.DefaultWorld().Accounts {
		if a.Kind == "miniprogram" {
			return a.AppID
		}
	}
	t.Fatal("no mini program in the default world")
	return ""
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitWhy is waitFor whose condition says what is still off, for the failure message.
func waitWhy(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The SDKs' readers, written from their sources (not from the publisher's code): each returns
// the token the SDK would use, or "" when it would find none and refresh on its own.

// silenceperRead: cache.Redis Get returns the raw string; a missing key means "cann't get".
func silenceperRead(ctx context.Context, c *redis.Client, key string) string {
	v, err := c.Get(ctx, key).Result()
	if err != nil {
		return ""
	}
	return v
}

// wxjavaRead: the token is read with GET and counted expired when TTL is missing or < 2 s
// (WxOpenInRedisConfigStorage isComponentAccessTokenExpired: expire == null || expire < 2).
func wxjavaRead(ctx context.Context, c *redis.Client, key string) string {
	ttl, err := c.TTL(ctx, key).Result()
	if err != nil || ttl < 2*time.Second {
		return ""
	}
	v, _ := c.Get(ctx, key).Result()
	return v
}

// wechatpyRead: RedisStorage.get json.loads the value.
func wechatpyRead(ctx context.Context, c *redis.Client, key string) string {
	v, err := c.Get(ctx, key).Result()
	if err != nil {
		return ""
	}
	var s string
	if json.Unmarshal([]byte(v), &s) != nil {
		return ""
	}
	return s
}

// powerwechatRead: cache.Get json.Unmarshals into a map; GetToken asserts
// token["expires_in"].(float64) (a panic in the SDK when it is not a number) and reads
// token[TokenKey].
func powerwechatRead(ctx context.Context, c *redis.Client, key, tokenKey string) string {
	v, err := c.Get(ctx, key).Result()
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal([]byte(v), &m) != nil {
		return ""
	}
	if _, ok := m["expires_in"].(float64); !ok {
		return ""
	}
	s, _ := m[tokenKey].(string)
	return s
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
