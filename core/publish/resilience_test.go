package publish_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/publish"
	"wxauth/core/publish/redistest"
	"wxauth/storage"
)

// A key overwritten by another program is reported at reconcile (an event naming the key and
// the format, with the remedy) and the current token is written back.
func TestForeignWriterDetectedAndRepaired(t *testing.T) {
	rs := redistest.Start(t, "")
	e := startEnv(t)
	appid := firstMiniProgram(t)
	e.addSink(t, flow.Sink{URL: rs.URL(0), Format: "wxjava", Component: true, Authorizers: true})
	pub, _ := e.run(t, e.sb.Engine, publish.Options{Reconcile: 200 * time.Millisecond})
	e.authorize(t, appid)
	c := rs.Client(0)
	key := "wechat_authorizer_access_token:" + e.comp + ":" + appid
	token := e.authorizer(t, appid).AccessToken
	waitFor(t, "the authorizer key", func() bool { return c.Get(e.ctx, key).Val() == token })

	// Another WxJava instance refreshed on its own and wrote its token.
	if err := c.Set(e.ctx, key, "their-own-token", 7000*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	var found flow.Event
	waitFor(t, "a foreign-writer event", func() bool {
		evs, err := e.sb.Engine.Events(e.ctx, e.comp, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Kind == flow.EventForeignWriter {
				found = ev
				return true
			}
		}
		return false
	})
	if found.Level != flow.LevelWarn || !strings.Contains(found.Message, key) || !strings.Contains(found.Message, "wxjava") ||
		found.AuthorizerAppID != appid || !strings.Contains(found.Remedy, "refresher") {
		t.Fatalf("event %+v: want a warning naming the key, the format and the remedy", found)
	}
	waitFor(t, "the current token written back", func() bool { return c.Get(e.ctx, key).Val() == token })
	waitFor(t, "the health to name the key", func() bool {
		h := pub.Health()
		return len(h) == 1 && h[0].ForeignKey == key
	})
}

// Redis stops while a token is renewed: refreshing goes on, the sink reports the error, and
// once Redis is back (empty: no persistence) every key is written again with the new token.
func TestRedisDownAndBackCatchesUp(t *testing.T) {
	rs := redistest.Start(t, "pw")
	e := startEnv(t)
	appid := firstMiniProgram(t)
	e.addSink(t, flow.Sink{URL: rs.URL(0), Format: "silenceper", Component: true, Authorizers: true})
	pub, _ := e.run(t, e.sb.Engine, publish.Options{})
	e.authorize(t, appid)
	c := rs.Client(0)
	key := "authorizer_access_token_" + appid
	waitFor(t, "the authorizer key", func() bool { return c.Get(e.ctx, key).Val() == e.authorizer(t, appid).AccessToken })

	rs.Stop()
	if err := e.sb.Engine.RefreshAuthorizer(e.ctx, e.comp, appid); err != nil {
		t.Fatalf("refreshing with Redis down: %v", err)
	}
	renewed := e.authorizer(t, appid).AccessToken
	waitFor(t, "the sink to report the failure", func() bool {
		h := pub.Health()
		return len(h) == 1 && h[0].LastError != "" && !h[0].Connected && h[0].Pending > 0
	})
	if h := pub.Health()[0]; strings.Contains(h.LastError, "pw@") || !strings.Contains(h.LastError, "127.0.0.1") {
		t.Fatalf("last error %q: want the masked address, never the password", h.LastError)
	}

	rs.Restart()
	waitFor(t, "the renewed token after Redis came back", func() bool { return c.Get(e.ctx, key).Val() == renewed })
	waitFor(t, "the component key after Redis came back", func() bool {
		return c.Exists(e.ctx, "component_access_token_"+e.comp).Val() == 1
	})
	waitFor(t, "the health to recover", func() bool {
		h := pub.Health()[0]
		return h.Connected && h.Pending == 0 && h.LastWriteAt.After(h.LastErrorAt)
	})
}

// Two engines on one database: only the one holding the platform's lease writes; the other
// takes over (and syncs in full) once the holder stops.
func TestOnlyTheLeaseHolderPublishes(t *testing.T) {
	rs := redistest.Start(t, "")
	e := startEnv(t)
	appid := firstMiniProgram(t)
	e.authorize(t, appid)
	db, err := storage.Open(e.ctx, filepath.Clean(e.sb.DB.Path()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	other := flow.New(flow.Config{Store: db, Holder: "other-process"})
	e.addSink(t, flow.Sink{URL: rs.URL(0), Format: "silenceper", Component: true, Authorizers: true})
	otherPub, _ := e.run(t, other, publish.Options{Reconcile: 100 * time.Millisecond})
	go other.RunRefresher(e.ctx, 100*time.Millisecond)

	c := rs.Client(0)
	// The non-holder has had the sink, the feed and several full syncs: still nothing written.
	waitFor(t, "the non-holder to have loaded its sink", func() bool { return len(otherPub.Health()) == 1 })
	waitFor(t, "three full syncs by the non-holder", func() bool { return otherPub.Health()[0].Syncs >= 3 })
	if n := c.DBSize(e.ctx).Val(); n != 0 {
		t.Fatalf("a process without the lease wrote %d keys", n)
	}

	// The holder stops (handing its lease over): the other process takes over and publishes.
	e.sb.Close()
	waitFor(t, "the other process to take the lease", func() bool {
		held, _ := other.HoldsLease(e.ctx, e.comp)
		return held
	})
	a, err := other.Authorizer(e.ctx, e.comp, appid)
	if err != nil {
		t.Fatal(err)
	}
	key := "authorizer_access_token_" + appid
	waitFor(t, "the new holder's keys", func() bool { return c.Get(e.ctx, key).Val() == a.AccessToken })
}
