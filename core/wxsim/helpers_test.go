package wxsim_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/core/wxsim"
)

// manualClock is a base clock that only moves when told, so virtual time moves only by
// Advance (and manualClock.add) and tests are deterministic.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is 2024-05-17 10:00:00 Beijing time.
var start = time.Date(2024, 5, 17, 2, 0, 0, 0, time.UTC)

// seeded is a deterministic random source.
func seeded(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// receivedPush is one push as a test receiver saw it.
type receivedPush struct {
	RawQuery string
	Body     []byte
	Header   http.Header
	Msg      wxapi.PushMessage
	Env      wxcrypt.Envelope
	Err      error // verification or decryption failure
}

// receiver is the 授权事件接收URL of a test: it verifies and decrypts every push with
// wxcrypt.OpenPush and answers reply (default "success").
type receiver struct {
	srv     *httptest.Server
	pushes  chan receivedPush
	mu      sync.Mutex
	reply   string
	delay   time.Duration
	crypter *wxcrypt.Crypter
}

func newReceiver(t *testing.T, p wxsim.Platform) *receiver {
	t.Helper()
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{pushes: make(chan receivedPush, 100), reply: "success", crypter: c}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := receivedPush{RawQuery: r.URL.RawQuery, Body: body, Header: r.Header.Clone()}
		msg, env, err := rc.crypter.OpenPush(wxcrypt.ParsePushQuery(r.URL.Query()), body)
		p.Env = env
		if err == nil {
			p.Msg, err = wxapi.ParsePushMessage(msg)
		}
		p.Err = err
		rc.mu.Lock()
		reply, delay := rc.reply, rc.delay
		rc.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		rc.pushes <- p
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setReply(reply string, delay time.Duration) {
	rc.mu.Lock()
	rc.reply, rc.delay = reply, delay
	rc.mu.Unlock()
}

// next waits for the next push.
func (rc *receiver) next(t *testing.T) receivedPush {
	t.Helper()
	select {
	case p := <-rc.pushes:
		if p.Err != nil {
			t.Fatalf("push did not verify/decrypt: %v", p.Err)
		}
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no push arrived within 10 s")
	}
	return receivedPush{}
}

// nextOf waits for the next push of an InfoType, skipping others (ticket pushes).
func (rc *receiver) nextOf(t *testing.T, infoType string) receivedPush {
	t.Helper()
	for {
		if p := rc.next(t); p.Msg.InfoType == infoType {
			return p
		}
	}
}

// env is a simulator on loopback with a receiver and a client.
type env struct {
	t      *testing.T
	sim    *wxsim.Sim
	srv    *httptest.Server
	client *wxapi.Client
	clock  *manualClock
	world  wxsim.World
	p      wxsim.Platform
	rc     *receiver
	ctx    context.Context
}

// newEnv starts a simulator over the default world (changed by mutate) with the event URL
// pointing at a test receiver and the auth domain auth.example.com.
func newEnv(t *testing.T, mutate func(*wxsim.World)) *env {
	t.Helper()
	w := wxsim.DefaultWorld()
	w.Platforms[0].AuthDomain = "auth.example.com"
	if mutate != nil {
		mutate(&w)
	}
	e := &env{t: t, clock: &manualClock{t: start}, world: w, ctx: context.Background()}
	e.p = w.Platforms[0]
	e.rc = newReceiver(t, e.p)
	if e.p.EventURL != "" {
		e.p.EventURL = e.rc.srv.URL + "/wechat/events"
		w.Platforms[0].EventURL = e.p.EventURL
	}
	sim, err := wxsim.New(w, wxsim.Options{Clock: e.clock, Random: seeded(1)})
	if err != nil {
		t.Fatal(err)
	}
	e.sim = sim
	e.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		_ = sim.Close()
	})
	e.client = wxapi.NewClient(e.srv.Client(), wxapi.WithBaseURL(e.srv.URL))
	return e
}

func (e *env) ticket() string { return e.sim.CurrentTicket(e.p.ComponentAppID) }

// componentToken mints a component token with the current ticket.
func (e *env) componentToken() string {
	e.t.Helper()
	tok, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket())
	if err != nil {
		e.t.Fatalf("ComponentToken: %v", err)
	}
	return tok.ComponentAccessToken
}

func (e *env) preAuthCode(token string) string {
	e.t.Helper()
	pre, err := e.client.CreatePreAuthCode(e.ctx, token, e.p.ComponentAppID)
	if err != nil {
		e.t.Fatalf("CreatePreAuthCode: %v", err)
	}
	return pre.PreAuthCode
}

// authorize approves appid through the control API path (sim.Authorize) and returns the code.
func (e *env) authorize(token, appid string, categories ...int) wxsim.AuthorizeResult {
	e.t.Helper()
	res, err := e.sim.Authorize(e.ctx, wxsim.AuthorizeRequest{
		ComponentAppID: e.p.ComponentAppID, PreAuthCode: e.preAuthCode(token), AuthorizerAppID: appid,
		RedirectURI: "https://auth.example.com/wechat/auth/callback", CategoryIDs: categories,
	})
	if err != nil {
		e.t.Fatalf("Authorize %s: %v", appid, err)
	}
	return res
}

// exchange authorizes appid and exchanges the code.
func (e *env) exchange(token, appid string) wxapi.AuthorizationInfo {
	e.t.Helper()
	res := e.authorize(token, appid)
	qa, err := e.client.QueryAuth(e.ctx, token, e.p.ComponentAppID, res.AuthCode)
	if err != nil {
		e.t.Fatalf("QueryAuth: %v", err)
	}
	return qa.AuthorizationInfo
}

// post sends a raw API request and returns status, headers and body.
func (e *env) post(path, query, body string) (int, http.Header, string) {
	e.t.Helper()
	u := e.srv.URL + path
	if query != "" {
		u += "?" + query
	}
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

// wantCode asserts that err is a WeChat error with code.
func wantCode(t *testing.T, err error, code int) *wxapi.Error {
	t.Helper()
	var we *wxapi.Error
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want WeChat errcode %d", err, code)
	}
	if we.ErrCode != code {
		t.Fatalf("errcode = %d (%s), want %d", we.ErrCode, we.ErrMsg, code)
	}
	return we
}

// mpAppIDs / oaAppID of the default world.
func (e *env) accountsOf(kind string) []string {
	var ids []string
	for _, a := range e.world.Accounts {
		if a.Kind == kind {
			ids = append(ids, a.AppID)
		}
	}
	return ids
}

func queryOf(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// waitFor polls cond (background pushes finish asynchronously).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
