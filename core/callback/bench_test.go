package callback_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"wxauth/core/callback"
	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/storage"
)

// newEngine is a real engine on a fresh database, configured with the vector platform.
func newEngine(t testing.TB) (*flow.Engine, *storage.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := flow.New(flow.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	if _, err := e.AddPlatform(ctx, flow.Platform{ComponentAppID: vecAppID, AppSecret: strings.Repeat("s", 32),
		Token: vecToken, EncodingAESKey: vecAESKey, AuthDomain: "127.0.0.1:8765"}); err != nil {
		t.Fatal(err)
	}
	if err := e.LoadCrypters(ctx); err != nil {
		t.Fatal(err)
	}
	return e, db
}

// BenchmarkPushHandlingOpenParse is the cryptographic core of a ticket push: parse the
// envelope, verify msg_signature, AES-256-CBC decrypt, check the appid, parse the message.
func BenchmarkPushHandlingOpenParse(b *testing.B) {
	c := vecCrypter(b)
	p := seal(b, c, ticketMsg(vecAppID, 1715943329, "ticket@@@"+strings.Repeat("T", 80)), 1)
	b.SetBytes(int64(len(p.Body)))
	b.ReportAllocs()
	for b.Loop() {
		plain, _, err := c.OpenPush(p.Query, p.Body)
		if err != nil {
			b.Fatal(err)
		}
		m, err := wxapi.ParsePushMessage(plain)
		if err != nil || m.ComponentVerifyTicket == "" {
			b.Fatal(m, err)
		}
	}
}

// BenchmarkPushHandlingHTTP is a ticket push through the listener's handler with the engine's
// real HandlePush: each op is a new push whose ticket is committed to SQLite (WAL) before
// `success` is written.
func BenchmarkPushHandlingHTTP(b *testing.B) {
	e, db := newEngine(b)
	c := vecCrypter(b)
	h := e.Listener()
	// Distinct pushes, sealed before timing: an exact replay would be acknowledged from memory.
	pushes := make([]wxcrypt.Push, b.N)
	for i := range pushes {
		pushes[i] = seal(b, c, ticketMsg(vecAppID, 1715943329+int64(i), "ticket@@@"+strconv.Itoa(i)), i)
	}
	reqs := make([]*http.Request, b.N)
	for i, p := range pushes {
		reqs[i] = httptest.NewRequest(http.MethodPost, "/wechat/events?"+p.Query.Encode(), strings.NewReader(string(p.Body)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, reqs[i])
		if rec.Code != 200 || rec.Body.String() != "success" {
			b.Fatalf("push %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	if t, err := db.CurrentTicket(context.Background(), vecAppID); err != nil || t.Ticket != "ticket@@@"+strconv.Itoa(b.N-1) {
		b.Fatalf("last ticket not current: %+v %v", t, err)
	}
}

// BenchmarkPushHandlingHTTPForged is a forged push (valid envelope of a known platform, wrong
// msg_signature) through the same handler: the cost of rejecting one push of a flood.
func BenchmarkPushHandlingHTTPForged(b *testing.B) {
	e, _ := newEngine(b)
	c := vecCrypter(b)
	h := e.Listener()
	p := seal(b, c, ticketMsg(vecAppID, 1715943329, "ticket@@@FORGED"), 1)
	query := "/wechat/events?" + strings.Replace(p.Query.Encode(), p.Query.MsgSignature, strings.Repeat("0", 40), 1)
	body := string(p.Body)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, query, strings.NewReader(body)))
		if rec.Code != http.StatusForbidden {
			b.Fatalf("forged push answered %d", rec.Code)
		}
	}
}

// BenchmarkPushHandlingHTTPBare is the yardstick of the forged one: the same request through
// a bare net/http handler that reads the body and answers.
func BenchmarkPushHandlingHTTPBare(b *testing.B) {
	c := vecCrypter(b)
	p := seal(b, c, ticketMsg(vecAppID, 1715943329, "ticket@@@FORGED"), 1)
	query := "/wechat/events?" + strings.Replace(p.Query.Encode(), p.Query.MsgSignature, strings.Repeat("0", 40), 1)
	body := string(p.Body)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, callback.MaxPushBytes))
		io.WriteString(w, "success")
	})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, query, strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("bare handler answered %d", rec.Code)
		}
	}
}
