package flow_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/storage"
)

// Helpers to replay pushes: a recorder between the simulator and the listener keeps the exact
// bytes WeChat sent, and a second engine on the same database stands for another process
// (whose replay cache has never seen them).

// recordedPush is one push as it went over the wire, and what it said.
type recordedPush struct {
	query string
	body  []byte
	msg   wxapi.PushMessage
}

// pushRecorder forwards every push to a listener and keeps a copy.
type pushRecorder struct {
	target  string
	crypter *wxcrypt.Crypter

	mu     sync.Mutex
	pushes []recordedPush
}

// recordPushes points the simulator's pushes at a recorder in front of the sandbox's listener.
func recordPushes(t *testing.T, sb *sandbox.Sandbox) *pushRecorder {
	t.Helper()
	c, err := wxcrypt.New(sb.Platform.Token, sb.Platform.EncodingAESKey, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	rec := &pushRecorder{target: sb.ListenURL, crypter: c}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	if err := sb.Sim.SetPlatformURLs(sb.Platform.ComponentAppID, srv.URL+"/wechat/events", sb.Platform.AuthDomain); err != nil {
		t.Fatal(err)
	}
	return rec
}

func (r *pushRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if plain, _, err := r.crypter.OpenPush(wxcrypt.ParsePushQuery(req.URL.Query()), body); err == nil {
		if m, err := wxapi.ParsePushMessage(plain); err == nil {
			r.mu.Lock()
			r.pushes = append(r.pushes, recordedPush{query: req.URL.RawQuery, body: body, msg: m})
			r.mu.Unlock()
		}
	}
	resp, err := http.Post(r.target+"/wechat/events?"+req.URL.RawQuery, "text/xml", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// last waits for a recorded push of infoType and returns the newest.
func (r *pushRecorder) last(t *testing.T, infoType string) recordedPush {
	t.Helper()
	var got recordedPush
	waitUntil(t, "a recorded "+infoType+" push", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, p := range r.pushes {
			if p.msg.InfoType == infoType {
				got = p
			}
		}
		return got.msg.InfoType != ""
	})
	return got
}

// replay posts a recorded push to a listener and checks that it answers `success`.
func replay(t *testing.T, listenURL string, p recordedPush) {
	t.Helper()
	resp, err := http.Post(listenURL+"/wechat/events?"+p.query, "text/xml", bytes.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "success" {
		t.Fatalf("replayed %s push: %d %q", p.msg.InfoType, resp.StatusCode, b)
	}
}

// sealed is a push as WeChat would send it now, encrypted with the platform's keys.
func sealed(t *testing.T, sb *sandbox.Sandbox, m wxapi.PushMessage) recordedPush {
	t.Helper()
	c, err := wxcrypt.New(sb.Platform.Token, sb.Platform.EncodingAESKey, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	m.AppID = sb.Platform.ComponentAppID
	p, err := c.SealPush(strings.NewReader(strings.Repeat("0123456789abcdef", 4)), m.XML(), strconv.FormatInt(m.CreateTime, 10), "4242")
	if err != nil {
		t.Fatal(err)
	}
	return recordedPush{query: p.Query.Encode(), body: p.Body, msg: m}
}

// otherProcess is a second engine with its own listener on the sandbox's database file.
type otherProcess struct {
	eng       *flow.Engine
	db        *storage.DB
	listenURL string
	stop      func() // closes the engine (waiting for its background work) and the database
}

func startOtherProcess(t *testing.T, sb *sandbox.Sandbox) *otherProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := storage.Open(ctx, sb.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	eng := flow.New(flow.Config{Store: db, Clock: sb.Sim, Holder: "other-process"})
	addr, done, err := eng.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	o := &otherProcess{eng: eng, db: db, listenURL: "http://" + addr.String()}
	o.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			eng.Close()
			db.Close()
		})
	}
	t.Cleanup(o.stop)
	return o
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for delay := time.Millisecond; !cond(); delay = min(delay*2, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(delay)
	}
}

// waitEventAbout waits for an event of kind about appid whose message contains text.
func waitEventAbout(t *testing.T, ch <-chan flow.Event, kind flow.EventKind, appid, text string) flow.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind && ev.AuthorizerAppID == appid && strings.Contains(ev.Message, text) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event about %s containing %q", kind, appid, text)
		}
	}
}

// authorizerStatus is an account's stored status.
func authorizerStatus(t *testing.T, sb *sandbox.Sandbox, appid string) string {
	t.Helper()
	a, err := sb.DB.Authorizer(context.Background(), sb.Platform.ComponentAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	return a.Status
}

// simControl posts to the simulator's control API, as a tester with curl would.
func simControl(t *testing.T, sb *sandbox.Sandbox, path string, body string) {
	t.Helper()
	resp, err := http.Post(sb.SimURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
}

// callback is the browser landing on our redirect target.
func callback(t *testing.T, sb *sandbox.Sandbox, sessionID, code string) string {
	t.Helper()
	resp, err := http.Get(sb.ListenURL + "/wechat/auth/callback?session=" + sessionID + "&auth_code=" + url.QueryEscape(code))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
