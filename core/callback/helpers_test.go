package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/callback"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// The platform of the official vectors in testdata/vectors.
const (
	vecToken = "AAAAA"
	vecAppID = "wx134c8103faa5a59e"
)

var vecAESKey = strings.Repeat("A", 43)

type vector struct {
	Name         string `json:"name"`
	Token        string `json:"token"`
	AESKey       string `json:"aes_key"`
	AppID        string `json:"appid"`
	Timestamp    string `json:"timestamp"`
	Nonce        string `json:"nonce"`
	Msg          string `json:"msg"`
	Encrypt      string `json:"encrypt"`
	MsgSignature string `json:"msg_signature"`
	Signature    string `json:"signature"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/vectors/wxcrypt.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vecCrypter(t testing.TB) *wxcrypt.Crypter {
	t.Helper()
	c, err := wxcrypt.New(vecToken, vecAESKey, vecAppID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seal builds the push WeChat would send for m, with a distinct nonce.
func seal(t testing.TB, c *wxcrypt.Crypter, m wxapi.PushMessage, nonce int) wxcrypt.Push {
	t.Helper()
	p, err := c.SealPush(strings.NewReader("0123456789abcdef"), m.XML(), strconv.FormatInt(m.CreateTime, 10), strconv.Itoa(nonce))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ticketMsg(appid string, created int64, ticket string) wxapi.PushMessage {
	return wxapi.PushMessage{AppID: appid, CreateTime: created, InfoType: wxapi.InfoTypeVerifyTicket, ComponentVerifyTicket: ticket}
}

// recorder is a fake engine: it knows the vector platform and records what reaches it.
type recorder struct {
	mu       sync.Mutex
	pushes   []wxapi.PushMessage
	rejects  []string
	pushErr  error
	pushGate chan struct{} // when set, Push waits for it
}

func (r *recorder) config(t testing.TB, c *wxcrypt.Crypter) callback.Config {
	return callback.Config{
		Crypter: func(appid string) (*wxcrypt.Crypter, bool) {
			if appid == c.AppID() {
				return c, true
			}
			return nil, false
		},
		Push: func(ctx context.Context, appid string, m wxapi.PushMessage) error {
			if r.pushGate != nil {
				select {
				case <-r.pushGate:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.pushErr != nil {
				return r.pushErr
			}
			r.pushes = append(r.pushes, m)
			return nil
		},
		Reject: func(_ context.Context, appid, reason string, code int) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.rejects = append(r.rejects, reason)
		},
	}
}

func (r *recorder) pushCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pushes)
}

func (r *recorder) rejectList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.rejects...)
}

// fakeClock is a settable clock for the replay window.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// postPush sends a push through h and returns the status and body.
func postPush(h http.Handler, query string, body []byte) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/wechat/events?"+query, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}
