package wxsim_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/core/wxsim"
)

var (
	pushQueryRe = regexp.MustCompile(`^signature=[0-9a-f]{40}&timestamp=(\d+)&nonce=\d{9,10}&encrypt_type=aes&msg_signature=[0-9a-f]{40}$`)
	outerXMLRe  = regexp.MustCompile(`^<xml>\n    <AppId><!\[CDATA\[(wx[0-9a-f]{16})\]\]></AppId>\n    <Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]></Encrypt>\n</xml>\n$`)
)

func TestTicketPushWireFormat(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false); err != nil {
		t.Fatal(err)
	}
	p := e.rc.next(t)
	m := pushQueryRe.FindStringSubmatch(p.RawQuery)
	if m == nil {
		t.Fatalf("query %q: want signature, timestamp, nonce, encrypt_type, msg_signature in that order", p.RawQuery)
	}
	if m[1] != strconv.FormatInt(e.sim.Now().Unix(), 10) {
		t.Errorf("timestamp %s, virtual now %d", m[1], e.sim.Now().Unix())
	}
	if om := outerXMLRe.FindSubmatch(p.Body); om == nil || string(om[1]) != e.p.ComponentAppID {
		t.Errorf("outer body %q", p.Body)
	}
	// The legacy signature is right too (receivers are told not to use it, some do).
	q := queryOf(t, "/?"+p.RawQuery)
	if err := e.rc.crypter.VerifySignature(q.Get("signature"), q.Get("timestamp"), q.Get("nonce")); err != nil {
		t.Errorf("signature: %v", err)
	}
	msg := p.Msg
	if msg.AppID != e.p.ComponentAppID || msg.InfoType != wxapi.InfoTypeVerifyTicket || msg.CreateTime != e.sim.Now().Unix() ||
		msg.ComponentVerifyTicket != e.ticket() || !ticketRe.MatchString(msg.ComponentVerifyTicket) {
		t.Errorf("message %+v", msg)
	}
	// The inner layout is the real one.
	if !strings.HasPrefix(string(msg.XML()), "<xml><AppId><![CDATA[") {
		t.Errorf("inner XML %s", msg.XML())
	}
	if p.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("Content-Type %q", p.Header.Get("Content-Type"))
	}
}

func TestTicketRepeatsThenRotates(t *testing.T) {
	for _, repeats := range []int{1, 2, 6} {
		t.Run(strconv.Itoa(repeats), func(t *testing.T) {
			e := newEnv(t, func(w *wxsim.World) { w.Settings.TicketRepeats = repeats })
			var seen []string
			for i := 0; i < 2*repeats+1; i++ {
				if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false); err != nil {
					t.Fatal(err)
				}
				seen = append(seen, e.rc.next(t).Msg.ComponentVerifyTicket)
			}
			for i := range seen {
				sameAsFirstOfGroup := seen[i] == seen[i/repeats*repeats]
				if !sameAsFirstOfGroup {
					t.Errorf("push %d: ticket changed within a group of %d", i, repeats)
				}
				if i%repeats == 0 && i > 0 && seen[i] == seen[i-1] {
					t.Errorf("push %d: ticket did not rotate after %d pushes", i, repeats)
				}
			}
		})
	}
}

func TestPushTicketRotateFlag(t *testing.T) {
	e := newEnv(t, nil)
	before := e.ticket()
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, true); err != nil {
		t.Fatal(err)
	}
	if got := e.rc.next(t).Msg.ComponentVerifyTicket; got == before || got != e.ticket() {
		t.Errorf("rotate pushed %q (before %q, now %q)", got, before, e.ticket())
	}
}

func TestFailedPushes(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		delay   time.Duration
		wantErr string
	}{
		{"fail", "fail", 0, `answered "fail" instead of "success"`},
		{"success with newline", "success\n", 0, `instead of "success"`},
		{"empty", "", 0, `answered "" instead`},
		{"too slow", "success", 2 * time.Second, "no answer within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the slow receiver meets the short timeout: the others answer at once, but on a
			// busy machine "at once" may take longer than 200ms.
			timeout := 5 * time.Second
			if tt.delay > 0 {
				timeout = 200 * time.Millisecond
			}
			e := newEnv(t, func(w *wxsim.World) { w.Settings.PushTimeout = wxsim.Duration(timeout) })
			e.rc.setReply(tt.reply, tt.delay)
			err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false)
			if !errors.Is(err, wxsim.ErrPushFailed) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want ErrPushFailed with %q", err, tt.wantErr)
			}
			st := e.sim.Stats()
			if st.PushesSent != 1 || st.PushesFailed != 1 || !strings.Contains(st.LastPushError, tt.wantErr) || st.RecentPushes[0].OK {
				t.Errorf("stats = %+v", st)
			}
			// Pushing is no longer "in a normal state": api_start_push_ticket says "ok".
			e.rc.setReply("success", 0)
			stt, err := e.client.StartPushTicket(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret)
			if err != nil || stt.ErrMsg != "ok" {
				t.Errorf("start after a failure = %+v, %v", stt, err)
			}
		})
	}
}

func TestPushWithoutEventURL(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) { w.Platforms[0].EventURL = "" })
	err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false)
	if !errors.Is(err, wxsim.ErrNoEventURL) {
		t.Fatalf("err = %v", err)
	}
	if st := e.sim.Stats(); st.PushesSent != 0 || st.PushesSkipped != 1 {
		t.Errorf("stats %+v", st)
	}
	if err := e.sim.SetPlatformURLs(e.p.ComponentAppID, e.rc.srv.URL+"/cb?x=1", "auth.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, false); err != nil {
		t.Fatal(err)
	}
	if p := e.rc.next(t); !strings.HasPrefix(p.RawQuery, "x=1&signature=") {
		t.Errorf("an event URL's own query comes first: %q", p.RawQuery)
	}
	if err := e.sim.SetPlatformURLs(e.p.ComponentAppID, "ftp://x", ""); err == nil {
		t.Error("a non-http event URL was accepted")
	}
	if err := e.sim.SetPlatformURLs("wx0000000000000000", "", ""); !errors.Is(err, wxsim.ErrUnknownPlatform) {
		t.Errorf("unknown platform: %v", err)
	}
}

func TestAuthorizationPushes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]

	pre := e.preAuthCode(tok)
	res, err := e.sim.Authorize(e.ctx, wxsim.AuthorizeRequest{ComponentAppID: e.p.ComponentAppID, PreAuthCode: pre, AuthorizerAppID: mp})
	if err != nil {
		t.Fatal(err)
	}
	if res.Push != wxapi.InfoTypeAuthorized || res.RedirectURL != "" {
		t.Errorf("result %+v", res)
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeAuthorized)
	if pushQueryRe.FindString(p.RawQuery) == "" || outerXMLRe.Find(p.Body) == nil {
		t.Errorf("authorized push wire format: %q %q", p.RawQuery, p.Body)
	}
	m := p.Msg
	if m.AppID != e.p.ComponentAppID || m.AuthorizerAppID != mp || m.AuthorizationCode != res.AuthCode || m.PreAuthCode != pre ||
		m.CreateTime != e.sim.Now().Unix() || m.AuthorizationCodeExpiredTime != m.CreateTime+3600 {
		t.Errorf("authorized push %+v", m)
	}
	// The code from the push works with api_query_auth.
	if _, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, m.AuthorizationCode); err != nil {
		t.Errorf("code from the push: %v", err)
	}

	// Re-authorizing with the same permission sets sends nothing …
	e.sim.Advance(time.Minute)
	same := e.authorize(tok, mp)
	if same.Push != "" {
		t.Errorf("re-authorization with unchanged sets: push %q", same.Push)
	}
	// … with changed sets it sends updateauthorized.
	e.sim.Advance(time.Minute)
	changed := e.authorize(tok, mp, 17, 18)
	if changed.Push != wxapi.InfoTypeUpdateAuthorized {
		t.Errorf("changed sets: push %q", changed.Push)
	}
	up := e.rc.nextOf(t, wxapi.InfoTypeUpdateAuthorized)
	if up.Msg.AuthorizationCode != changed.AuthCode || up.Msg.AuthorizerAppID != mp {
		t.Errorf("updateauthorized %+v", up.Msg)
	}
	if err := e.sim.Unauthorize(e.ctx, "", mp); err != nil { // "" = the only platform
		t.Fatal(err)
	}
	un := e.rc.nextOf(t, wxapi.InfoTypeUnauthorized)
	if un.Msg.AuthorizerAppID != mp || un.Msg.PreAuthCode != "" || !strings.Contains(string(un.Msg.XML()), "<InfoType><![CDATA[unauthorized]]></InfoType>\n<AuthorizerAppid>") {
		t.Errorf("unauthorized %+v", un.Msg)
	}
	waitFor(t, func() bool { return e.sim.Stats().PushesSent == 3 })
	st := e.sim.Stats()
	if st.PushesByType["authorized"] != 1 || st.PushesByType["updateauthorized"] != 1 || st.PushesByType["unauthorized"] != 1 || st.PushesFailed != 0 {
		t.Errorf("push stats %+v", st.PushesByType)
	}
}

func TestCloseStopsBackgroundPushes(t *testing.T) {
	e := newEnv(t, nil)
	e.rc.setReply("success", time.Minute) // a receiver that hangs
	tok := e.componentToken()
	e.authorize(tok, e.world.Accounts[0].AppID)
	done := make(chan struct{})
	go func() {
		_ = e.sim.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not cancel the push in flight")
	}
	// Nothing starts after Close.
	_ = e.sim.Unauthorize(context.Background(), e.p.ComponentAppID, e.world.Accounts[0].AppID)
}

// TestPushPlaintextRandomIsHex decrypts pushes as a receiver would and checks that the 16
// random bytes opening the plaintext are lowercase hex text like WeChat's
// (`1205899eaf019bbd` in the official vector), for ticket and authorization pushes alike.
func TestPushPlaintextRandomIsHex(t *testing.T) {
	e := newEnv(t, nil)
	key, err := wxcrypt.DecodeAESKey(e.p.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	check := func(p receivedPush) {
		t.Helper()
		ct, err := base64.StdEncoding.DecodeString(p.Env.Encrypt)
		if err != nil || len(ct) < 32 {
			t.Fatalf("Encrypt %q: %v", p.Env.Encrypt, err)
		}
		cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(ct, ct)
		if !hexRandomRe.Match(ct[:16]) {
			t.Errorf("%s push: plaintext starts with %q, want 16 lowercase hex characters", p.Msg.InfoType, ct[:16])
		}
	}
	for i := 0; i < 5; i++ {
		if err := e.sim.PushTicket(e.ctx, e.p.ComponentAppID, i%2 == 0); err != nil {
			t.Fatal(err)
		}
		check(e.rc.next(t))
	}
	e.authorize(e.componentToken(), e.world.Accounts[0].AppID)
	check(e.rc.nextOf(t, wxapi.InfoTypeAuthorized))
}

var hexRandomRe = regexp.MustCompile(`^[0-9a-f]{16}$`)
