package wxsim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/core/wxsim"
)

// tickingClock moves one second forward at every reading, so every push built gets its own
// CreateTime, increasing in the order the simulator built them.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// arrivals is an event receiver that records pushes in the order they reach it, before it
// answers, and can hold its answers until released.
type arrivals struct {
	srv     *httptest.Server
	crypter *wxcrypt.Crypter
	mu      sync.Mutex
	msgs    []wxapi.PushMessage
	errs    []error
	arrived chan struct{} // one value per push
	hold    chan struct{} // answers wait until it is closed (nil: answer at once)
}

func newArrivals(t *testing.T, p wxsim.Platform, hold chan struct{}) *arrivals {
	t.Helper()
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	a := &arrivals{crypter: c, arrived: make(chan struct{}, 1000), hold: hold}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		raw, _, err := a.crypter.OpenPush(wxcrypt.ParsePushQuery(r.URL.Query()), body)
		var m wxapi.PushMessage
		if err == nil {
			m, err = wxapi.ParsePushMessage(raw)
		}
		a.mu.Lock()
		a.msgs = append(a.msgs, m)
		if err != nil {
			a.errs = append(a.errs, err)
		}
		a.mu.Unlock()
		a.arrived <- struct{}{}
		if a.hold != nil {
			<-a.hold
		}
		time.Sleep(time.Millisecond) // an answer takes a moment, as over a real network
		_, _ = io.WriteString(w, "success")
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// wait waits for n more pushes.
func (a *arrivals) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-a.arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d pushes arrived", i, n)
		}
	}
}

// TestPushesToOnePlatformArriveInOrder triggers many pushes at once the ways a user does
// (POST /sim/push-ticket with rotation, api_start_push_ticket, /sim/authorize) and checks
// they reach the platform's receiver in the order the simulator built them, ending with the
// current ticket, while a second platform whose receiver hangs does not hold them up.
func TestPushesToOnePlatformArriveInOrder(t *testing.T) {
	w := wxsim.DefaultWorld()
	second := w.Platforms[0]
	second.ComponentAppID, second.ComponentAppSecret = "wx0a1b2c3d4e5f6071", "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	w.Platforms = append(w.Platforms, second)
	w.Settings.PushTimeout = wxsim.Duration(30 * time.Second)
	release := make(chan struct{})
	a, b := newArrivals(t, w.Platforms[0], nil), newArrivals(t, second, release)
	w.Platforms[0].EventURL, w.Platforms[1].EventURL = a.srv.URL+"/wechat/events", b.srv.URL+"/wechat/events"

	sim, err := wxsim.New(w, wxsim.Options{Clock: &tickingClock{t: start}, Random: seeded(3)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	bDone := make(chan struct{})
	t.Cleanup(func() {
		close(release)
		<-bDone
		srv.Close()
		_ = sim.Close()
	})
	post := func(path, body string) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(data), "errcode\":4") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, data)
		}
	}

	// The second platform's receiver takes a push and hangs on it.
	go func() {
		defer close(bDone)
		post("/sim/push-ticket", `{"component_appid":"`+second.ComponentAppID+`"}`)
	}()
	b.wait(t, 1)

	pa := w.Platforms[0]
	pre := preAuthCodes(t, srv.URL, pa, sim.CurrentTicket(pa.ComponentAppID), len(w.Accounts))

	const rotations, starts = 25, 10
	var wg sync.WaitGroup
	fire := func(path, body string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(path, body)
		}()
	}
	for i := 0; i < rotations; i++ {
		fire("/sim/push-ticket", `{"component_appid":"`+pa.ComponentAppID+`","rotate":true}`)
		if i < starts {
			fire(wxapi.PathStartPushTicket, `{"component_appid":"`+pa.ComponentAppID+`","component_secret":"`+pa.ComponentAppSecret+`"}`)
		}
		if i < len(w.Accounts) {
			fire("/sim/authorize", fmt.Sprintf(`{"component_appid":%q,"pre_auth_code":%q,"authorizer_appid":%q}`,
				pa.ComponentAppID, pre[i], w.Accounts[i].AppID))
		}
	}
	wg.Wait()
	a.wait(t, rotations+starts+len(w.Accounts))

	a.checkOrder(t, sim.CurrentTicket(pa.ComponentAppID))
	select {
	case <-b.arrived:
		t.Error("the hanging platform got a second push")
	default:
	}
}

// preAuthCodes gets a component token with ticket and n pre_auth_codes, through the API.
func preAuthCodes(t *testing.T, baseURL string, p wxsim.Platform, ticket string, n int) []string {
	t.Helper()
	client := wxapi.NewClient(http.DefaultClient, wxapi.WithBaseURL(baseURL))
	tok, err := client.ComponentToken(t.Context(), p.ComponentAppID, p.ComponentAppSecret, ticket)
	if err != nil {
		t.Fatal(err)
	}
	var pre []string
	for range n {
		code, err := client.CreatePreAuthCode(t.Context(), tok.ComponentAccessToken, p.ComponentAppID)
		if err != nil {
			t.Fatal(err)
		}
		pre = append(pre, code.PreAuthCode)
	}
	return pre
}

// checkOrder checks that the pushes arrived in the order they were built (strictly
// increasing CreateTime under tickingClock) and that the last ticket to arrive is current.
func (a *arrivals) checkOrder(t *testing.T, currentTicket string) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) > 0 {
		t.Fatalf("pushes did not verify: %v", a.errs)
	}
	var last string
	for i, m := range a.msgs {
		if i > 0 && m.CreateTime <= a.msgs[i-1].CreateTime {
			prev := a.msgs[i-1]
			t.Errorf("push %d (%s, CreateTime %d) arrived after one built later (%s, CreateTime %d)",
				i, m.InfoType, m.CreateTime, prev.InfoType, prev.CreateTime)
		}
		if m.InfoType == wxapi.InfoTypeVerifyTicket {
			last = m.ComponentVerifyTicket
		}
	}
	if last != currentTicket {
		t.Errorf("the receiver's last ticket is %.20s…, the current one %.20s…", last, currentTicket)
	}
}
