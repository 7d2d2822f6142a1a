package publish_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"wxauth/core/flow"
	"wxauth/core/publish"
	"wxauth/core/publish/redistest"
)

// want is one key an SDK reads, the token it must find there and the latest its TTL may end.
type want struct {
	key      string
	token    string
	latest   time.Time // expiry minus the SDK's margin
	minTTL   time.Duration
	read     func(ctx context.Context, c *redis.Client, key string) string
	optional bool // PowerWeChat's ticket key: checked separately
}

// expected lists the keys format f must hold for the platform's current tokens (prefix as
// configured on the sink).
func (e *env) expected(t *testing.T, f publish.Format, prefix string, appid string) []want {
	t.Helper()
	ctx := e.ctx
	tok, err := e.sb.Engine.ComponentToken(ctx, e.comp)
	if err != nil {
		t.Fatal(err)
	}
	a := e.authorizer(t, appid)
	var out []want
	add := func(key, token string, expires time.Time, margin time.Duration, read func(context.Context, *redis.Client, string) string) {
		out = append(out, want{key: key, token: token, latest: expires.Add(-margin), minTTL: time.Second, read: read})
	}
	live := a.Status != flow.AuthorizerRevoked && a.Status != flow.AuthorizerNeedsReauth
	switch f {
	case publish.Silenceper:
		add("component_access_token_"+e.comp, tok.Token, tok.ExpiresAt, 1500*time.Second, silenceperRead)
		if live {
			add("authorizer_access_token_"+appid, a.AccessToken, a.AccessExpiresAt, 30*time.Second, silenceperRead)
		}
	case publish.WxJava:
		p := prefix + ":"
		add(p+"wechat_component_access_token:"+e.comp, tok.Token, tok.ExpiresAt, 200*time.Second, wxjavaRead)
		if live {
			add(p+"wechat_authorizer_access_token:"+e.comp+":"+appid, a.AccessToken, a.AccessExpiresAt, 200*time.Second, wxjavaRead)
		}
		for i := range out {
			out[i].minTTL = 2 * time.Second
		}
	case publish.Wechatpy:
		add("wechatpy:"+e.comp+"_component_access_token", tok.Token, tok.ExpiresAt, 0, wechatpyRead)
		if live {
			add("wechatpy:"+appid+"_access_token", a.AccessToken, a.AccessExpiresAt, 0, wechatpyRead)
		}
	case publish.PowerWeChat:
		ticket, _, err := e.sb.Engine.CurrentTicket(ctx, e.comp)
		if err != nil {
			t.Fatal(err)
		}
		add("powerwechat.access_token."+md5hex(e.comp+e.sb.Platform.AppSecret+ticket.Value), tok.Token, tok.ExpiresAt, 0,
			func(ctx context.Context, c *redis.Client, key string) string {
				return powerwechatRead(ctx, c, key, "component_access_token")
			})
		if live {
			add("powerwechat.access_token."+md5hex(e.comp+a.RefreshToken+appid), a.AccessToken, a.AccessExpiresAt, 0,
				func(ctx context.Context, c *redis.Client, key string) string {
					return powerwechatRead(ctx, c, key, "authorizer_access_token")
				})
		}
		out = append(out, want{key: "powerwechat.open_platform.verify_ticket." + e.comp, token: ticket.Value, optional: true,
			read: wechatpyRead, latest: time.Now().Add(time.Hour + time.Second), minTTL: time.Second})
	}
	return out
}

// holds reports whether the db holds exactly the wanted keys, each readable by its SDK with the
// wanted token and a TTL within bounds; why says what is off.
func holds(ctx context.Context, c *redis.Client, wants []want) (ok bool, why string) {
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		return false, err.Error()
	}
	var names []string
	for _, w := range wants {
		names = append(names, w.key)
	}
	sort.Strings(keys)
	sort.Strings(names)
	if !slices.Equal(keys, names) {
		return false, "keys " + join(keys) + ", want " + join(names)
	}
	for _, w := range wants {
		if got := w.read(ctx, c, w.key); got != w.token {
			return false, w.key + " reads " + got + ", want " + w.token
		}
		ttl := c.TTL(ctx, w.key).Val()
		if ttl < w.minTTL {
			return false, w.key + " TTL " + ttl.String() + " (the SDK would count it expired or it never expires)"
		}
		// Redis rounds the TTL to the nearest second: one second of slack.
		if time.Now().Add(ttl).After(w.latest.Add(time.Second)) {
			return false, w.key + " outlives the token minus the SDK's margin: TTL " + ttl.String()
		}
	}
	return true, ""
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return "[" + out + "]"
}

var allFormats = []struct {
	format publish.Format
	prefix string
}{{publish.Silenceper, ""}, {publish.WxJava, "wx:open"}, {publish.Wechatpy, ""}, {publish.PowerWeChat, ""}}

// Every format, after a full authorization, a renewal and a revocation: exactly the SDK's keys,
// values its reader accepts, TTLs ending before the token by the SDK's margin, and no ticket
// or refresh-token keys (PowerWeChat's ticket excepted).
func TestFormatsThroughAuthorizationRenewalRevocation(t *testing.T) {
	rs := redistest.Start(t, "s3cret-pw")
	e := startEnv(t)
	appid := firstMiniProgram(t)
	clients := map[publish.Format]*redis.Client{}
	for i, f := range allFormats {
		e.addSink(t, flow.Sink{URL: rs.URL(i + 1), Format: string(f.format), Prefix: f.prefix, Component: true, Authorizers: true})
		clients[f.format] = rs.Client(i + 1)
	}
	e.run(t, e.sb.Engine, publish.Options{})
	check := func(stage string) {
		t.Helper()
		for _, f := range allFormats {
			c := clients[f.format]
			waitWhy(t, stage+": "+string(f.format)+" keys", func() (bool, string) {
				return holds(e.ctx, c, e.expected(t, f.format, f.prefix, appid))
			})
		}
	}
	e.authorize(t, appid)
	check("after authorization")

	before := e.authorizer(t, appid).AccessToken
	if err := e.sb.Engine.RefreshAuthorizer(e.ctx, e.comp, appid); err != nil {
		t.Fatal(err)
	}
	if e.authorizer(t, appid).AccessToken == before {
		t.Fatal("the renewal kept the token")
	}
	check("after renewal")

	if err := e.sb.Sim.Unauthorize(e.ctx, e.comp, appid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revocation to be stored", func() bool {
		return e.authorizer(t, appid).Status == flow.AuthorizerRevoked
	})
	check("after revocation")
}
