package callback_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/callback"
	"wxauth/core/wxapi"
)

func TestEventsAcceptAndReject(t *testing.T) {
	c := vecCrypter(t)
	valid := seal(t, c, ticketMsg(vecAppID, 1715943329, "ticket@@@VALID"), 1)
	vectorBody := readFile(t, "../../testdata/vectors/v1_push.xml")
	var v1 vector
	for _, v := range loadVectors(t) {
		if v.Name == "V1" {
			v1 = v
		}
	}
	v1Query := fmt.Sprintf("signature=%s&timestamp=%s&nonce=%s&encrypt_type=aes&msg_signature=%s", v1.Signature, v1.Timestamp, v1.Nonce, v1.MsgSignature)
	forgedQuery := strings.Replace(valid.Query.Encode(), valid.Query.MsgSignature, strings.Repeat("0", 40), 1)
	plainAsMsg := strings.Replace(valid.Query.Encode(), "msg_signature="+valid.Query.MsgSignature, "msg_signature="+valid.Query.Signature, 1)
	mismatch := seal(t, c, ticketMsg("wx0000000000000000", 1715943329, "ticket@@@X"), 2)
	noInfoType := seal(t, c, wxapi.PushMessage{AppID: vecAppID, CreateTime: 1}, 3)
	cases := []struct {
		name   string
		query  string
		body   []byte
		status int
		want   string // in the answer
		pushed bool
	}{
		{"valid sealed ticket", valid.Query.Encode(), valid.Body, 200, "success", true},
		{"official vector V1", v1Query, vectorBody, 200, "success", true},
		{"forged msg_signature", forgedQuery, valid.Body, 403, "-40001", false},
		{"plain signature as msg_signature", plainAsMsg, valid.Body, 403, "plain", false},
		{"no msg_signature", "timestamp=1&nonce=2", valid.Body, 403, "missing", false},
		{"unknown platform", valid.Query.Encode(), bytes.Replace(valid.Body, []byte(vecAppID), []byte("wx0000000000000000"), 1), 404, "unknown platform", false},
		{"not xml", valid.Query.Encode(), []byte("hello"), 400, "-40002", false},
		{"empty body", valid.Query.Encode(), nil, 400, "-40002", false},
		{"no InfoType", noInfoType.Query.Encode(), noInfoType.Body, 400, "InfoType", false},
		{"inner AppId differs", mismatch.Query.Encode(), mismatch.Body, 400, "differs", false},
		{"oversized", valid.Query.Encode(), bytes.Repeat([]byte("x"), callback.MaxPushBytes+1), 413, "larger", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			h := callback.New(r.config(t, c))
			code, body := postPush(h, tc.query, tc.body)
			if code != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d %q, want %d containing %q", code, body, tc.status, tc.want)
			}
			if got := r.pushCount() == 1; got != tc.pushed {
				t.Fatalf("pushed = %v, want %v", got, tc.pushed)
			}
			if !tc.pushed && len(r.rejectList()) != 1 {
				t.Fatalf("rejections reported: %q", r.rejectList())
			}
		})
	}
}

func TestEventsPushFailureIsNotSuccess(t *testing.T) {
	c := vecCrypter(t)
	r := recorder{pushErr: errors.New("disk full")}
	h := callback.New(r.config(t, c))
	p := seal(t, c, ticketMsg(vecAppID, 100, "ticket@@@A"), 1)
	if code, body := postPush(h, p.Query.Encode(), p.Body); code != 500 || body == "success" {
		t.Fatalf("failed store answered %d %q", code, body)
	}
	// WeChat's retry of the same push is acted on once storing works again.
	r.mu.Lock()
	r.pushErr = nil
	r.mu.Unlock()
	if code, body := postPush(h, p.Query.Encode(), p.Body); code != 200 || body != "success" || r.pushCount() != 1 {
		t.Fatalf("retry after a failure: %d %q, %d stored", code, body, r.pushCount())
	}
}

func TestReplayedPushAcknowledgedNotReprocessed(t *testing.T) {
	c := vecCrypter(t)
	clock := &fakeClock{now: time.Unix(1715943329, 0)}
	var r recorder
	cfg := r.config(t, c)
	cfg.Now = clock.Now
	h := callback.New(cfg)
	p := seal(t, c, ticketMsg(vecAppID, 1715943329, "ticket@@@REPLAYED"), 7)
	for i := 0; i < 3; i++ {
		if code, body := postPush(h, p.Query.Encode(), p.Body); code != 200 || body != "success" {
			t.Fatalf("copy %d: %d %q", i, code, body)
		}
	}
	if r.pushCount() != 1 {
		t.Fatalf("an exact replay was acted on: %d pushes", r.pushCount())
	}
	// Swapping timestamp and nonce keeps msg_signature (the scheme sorts its inputs): still the
	// same signed push, still a replay.
	swapped := fmt.Sprintf("timestamp=%s&nonce=%s&encrypt_type=aes&msg_signature=%s", p.Query.Nonce, p.Query.Timestamp, p.Query.MsgSignature)
	if code, body := postPush(h, swapped, p.Body); code != 200 || body != "success" || r.pushCount() != 1 {
		t.Fatalf("swapped replay: %d %q, %d pushes", code, body, r.pushCount())
	}
	// Another push with the same content but a new nonce is a new push.
	again := seal(t, c, ticketMsg(vecAppID, 1715943329, "ticket@@@REPLAYED"), 8)
	if code, _ := postPush(h, again.Query.Encode(), again.Body); code != 200 || r.pushCount() != 2 {
		t.Fatalf("new nonce: %d, %d pushes", code, r.pushCount())
	}
	// Past the window the push is handled again (the engine keeps tickets idempotent).
	clock.Advance(callback.DefaultReplayWindow + time.Second)
	if code, _ := postPush(h, p.Query.Encode(), p.Body); code != 200 || r.pushCount() != 3 {
		t.Fatalf("after the window: %d, %d pushes", code, r.pushCount())
	}
}

func TestConcurrentCopiesWaitForTheFirst(t *testing.T) {
	c := vecCrypter(t)
	r := recorder{pushGate: make(chan struct{})}
	h := callback.New(r.config(t, c))
	p := seal(t, c, ticketMsg(vecAppID, 1715943329, "ticket@@@CONCURRENT"), 9)
	const copies = 5
	var wg sync.WaitGroup
	codes := make([]int, copies)
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = postPush(h, p.Query.Encode(), p.Body)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let every copy arrive while the first is held
	close(r.pushGate)
	wg.Wait()
	for i, code := range codes {
		if code != 200 {
			t.Fatalf("copy %d answered %d", i, code)
		}
	}
	if r.pushCount() != 1 {
		t.Fatalf("%d concurrent copies acted on", r.pushCount())
	}
}

func TestRejectionsReportedWithinBudget(t *testing.T) {
	c := vecCrypter(t)
	clock := &fakeClock{now: time.Unix(1715943329, 0)}
	var logs bytes.Buffer
	var r recorder
	cfg := r.config(t, c)
	cfg.Now = clock.Now
	cfg.Logger = newTextLogger(&logs)
	h := callback.New(cfg)
	for i := 0; i < 500; i++ {
		if code, _ := postPush(h, "msg_signature=x", []byte("<xml>forged</xml>")); code != 400 {
			t.Fatalf("forged push answered %d", code)
		}
	}
	if n := len(r.rejectList()); n == 0 || n > 10 {
		t.Fatalf("%d rejections reported in one second of flood", n)
	}
	if n := strings.Count(logs.String(), "push rejected"); n > 10 {
		t.Fatalf("%d log lines in one second of flood", n)
	}
	clock.Advance(time.Second)
	postPush(h, "", []byte("nope"))
	rejects := r.rejectList()
	if last := rejects[len(rejects)-1]; !strings.Contains(last, "490 more rejected pushes not reported") {
		t.Fatalf("the next report does not count the suppressed ones: %q", last)
	}
}

func TestPagesEscapeWhatTheyRender(t *testing.T) {
	evil := `"><script>alert(1)</script>`
	h := callback.New(callback.Config{
		Launch: func(ctx context.Context, id string) (string, string, error) {
			if id == "bad" {
				return "", "", errors.New("no session " + evil)
			}
			return "https://mp.weixin.qq.com/cgi-bin/componentloginpage?x=" + evil, "javascript:alert(1)", nil
		},
		Capture: func(ctx context.Context, id, code string) (string, error) {
			if id == "bad" {
				return "", errors.New("exchange failed for " + code)
			}
			return evil, nil
		},
	})
	for _, target := range []string{
		"/wechat/auth/start?session=ok",
		"/wechat/auth/start?session=bad",
		"/wechat/auth/callback?session=ok&auth_code=x",
		"/wechat/auth/callback?session=bad&auth_code=" + strings.ReplaceAll(evil, " ", "%20"),
	} {
		t.Run(target, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			page := rec.Body.String()
			if strings.Contains(page, "<script>alert") || strings.Contains(page, `href="javascript:`) {
				t.Fatalf("unescaped input in page:\n%s", page)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("headers = %v", rec.Header())
			}
		})
	}
}

func TestServerLimits(t *testing.T) {
	h := callback.New(callback.Config{})
	srv := callback.NewHTTPServer(h)
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Fatalf("a limit is missing: %+v", srv)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Config = srv
	ts.Start()
	defer ts.Close()

	t.Run("huge headers", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/wechat/events", strings.NewReader("<xml/>"))
		req.Header.Set("X-Pad", strings.Repeat("a", 64<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("slow headers are cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /wechat/events HTTP/1.1\r\nHost: x\r\n") // and never finishes
		// The server must close the connection (EOF or reset); our own deadline, far beyond
		// ReadHeaderTimeout, only ends the wait if it does not.
		conn.SetReadDeadline(time.Now().Add(srv.ReadHeaderTimeout + time.Minute))
		start := time.Now()
		_, err = bufio.NewReader(conn).ReadByte()
		var ne net.Error
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("connection still open after %v (err %v)", time.Since(start), err)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		resp, err := http.Get(ts.URL + "/wechat/events")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestPanickingPushDoesNotWedgeItsRetries(t *testing.T) {
	c := vecCrypter(t)
	var r recorder
	cfg := r.config(t, c)
	store := cfg.Push
	panicked := false
	cfg.Push = func(ctx context.Context, appid string, m wxapi.PushMessage) error {
		if !panicked {
			panicked = true
			panic("engine bug")
		}
		return store(ctx, appid, m)
	}
	h := callback.New(cfg)
	p := seal(t, c, ticketMsg(vecAppID, 100, "ticket@@@P"), 1)
	func() {
		defer func() { recover() }() // net/http recovers a handler's panic the same way
		postPush(h, p.Query.Encode(), p.Body)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/wechat/events?"+p.Query.Encode(), bytes.NewReader(p.Body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || r.pushCount() != 1 {
		t.Fatalf("retry after a panic: %d, %d stored", rec.Code, r.pushCount())
	}
}
