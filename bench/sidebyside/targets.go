package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/openplatform"
	opconfig "github.com/silenceper/wechat/v2/openplatform/config"
	_ "modernc.org/sqlite"

	"wxauth/core/callback"
	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/storage"
)

// The platform every target serves: the official vectors' (testdata/vectors).
const (
	platToken = "AAAAA"
	platAppID = "wx134c8103faa5a59e"
)

var platAESKey = strings.Repeat("A", 43)

// wxauthTarget is wxauth's listener as `serve` runs it (engine.Listen: the listener and the
// engine's push handling on an SQLite file), started in this process.
func wxauthTarget(ctx context.Context, dir string) (url string, db *storage.DB, err error) {
	db, err = storage.Open(ctx, filepath.Join(dir, "listener.db"))
	if err != nil {
		return "", nil, err
	}
	e := flow.New(flow.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	if _, err := e.AddPlatform(ctx, flow.Platform{ComponentAppID: platAppID, AppSecret: strings.Repeat("s", 32),
		Token: platToken, EncodingAESKey: platAESKey, AuthDomain: "127.0.0.1:8765"}); err != nil {
		return "", nil, err
	}
	if err := e.LoadCrypters(ctx); err != nil {
		return "", nil, err
	}
	addr, _, err := e.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	return "http://" + addr.String() + "/wechat/events?", db, nil
}

// peerTarget is a silenceper/wechat v2 open-platform push receiver, written as its README
// shows: GetServer, a message handler, Serve. It verifies, decrypts and parses the push; keep,
// when not nil, is handed the ticket before `success` (nil: it persists nothing). It answers
// `success` itself (Send would encrypt an empty reply).
func peerTarget(ctx context.Context, keep func(context.Context, string) error) (string, error) {
	op := openplatform.NewOpenPlatform(&opconfig.Config{AppID: platAppID, AppSecret: strings.Repeat("s", 32),
		Token: platToken, EncodingAESKey: platAESKey, Cache: cache.NewMemory()})
	return serveHTTP(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := op.GetServer(r, w)
		var ticket string
		srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			ticket = m.ComponentVerifyTicket
			return nil
		})
		if err := srv.Serve(); err != nil || ticket == "" {
			http.Error(w, fmt.Sprint("rejected: ", err), http.StatusBadRequest)
			return
		}
		if keep != nil {
			if err := keep(r.Context(), ticket); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		io.WriteString(w, "success")
	}))
}

// committingPeer is what a silenceper user writes when the ticket must survive a restart: the
// same receiver, each ticket INSERTed into an SQLite file (modernc.org/sqlite, WAL,
// synchronous=NORMAL as wxauth's) in its own transaction before `success`. One table, no index,
// no event log: less than wxauth writes per push. It is the baseline that does the same durable
// work; the target's peer persists nothing.
func committingPeer(ctx context.Context, dir string, clients int) (string, func() error, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "peer.db")+
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return "", nil, err
	}
	// database/sql's default of 2 idle connections would open and close one per push under
	// many handlers; keep one per client.
	db.SetMaxOpenConns(clients)
	db.SetMaxIdleConns(clients)
	if _, err := db.ExecContext(ctx, `CREATE TABLE tickets (id INTEGER PRIMARY KEY, appid TEXT NOT NULL,
		ticket TEXT NOT NULL, received_at INTEGER NOT NULL)`); err != nil {
		db.Close()
		return "", nil, err
	}
	url, err := peerTarget(ctx, func(ctx context.Context, ticket string) error {
		_, err := db.ExecContext(ctx, `INSERT INTO tickets (appid, ticket, received_at) VALUES (?,?,?)`,
			platAppID, ticket, time.Now().UnixMilli())
		return err
	})
	if err != nil {
		db.Close()
		return "", nil, err
	}
	return url, db.Close, nil
}

// bareTarget is the loopback baseline: a net/http handler that reads the body and answers.
func bareTarget(ctx context.Context) (string, error) {
	return serveHTTP(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, callback.MaxPushBytes))
		io.WriteString(w, "success")
	}))
}

func serveHTTP(ctx context.Context, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := callback.NewHTTPServer(h)
	go srv.Serve(ln)
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/wechat/events?", nil
}

// sealTickets seals n ticket pushes with distinct tickets, timestamps and nonces.
func sealTickets(c *wxcrypt.Crypter, n int, tag string, created *int64) ([]wxcrypt.Push, error) {
	out := make([]wxcrypt.Push, n)
	for i := range out {
		*created++
		m := wxapi.PushMessage{AppID: platAppID, CreateTime: *created, InfoType: wxapi.InfoTypeVerifyTicket,
			ComponentVerifyTicket: fmt.Sprintf("ticket@@@%s-%d-%s", tag, i, strings.Repeat("T", 60))}
		p, err := c.SealPush(strings.NewReader(strings.Repeat("0123456789abcdef", 1)), m.XML(),
			strconv.FormatInt(*created, 10), strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func shots(target string, ps []wxcrypt.Push) []shot {
	out := make([]shot, len(ps))
	for i, p := range ps {
		out[i] = shot{url: target + p.Query.Encode(), body: p.Body}
	}
	return out
}

// forged is 64 pushes each rejected for a different reason: a wrong msg_signature, the plain
// signature in its place, an unknown AppId, a body that is not XML.
func forged(c *wxcrypt.Crypter, target string) ([]shot, error) {
	var created int64 = 1715943329
	ps, err := sealTickets(c, 64, "FORGED", &created)
	if err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	out := make([]shot, len(ps))
	for i, p := range ps {
		q, body := p.Query, p.Body
		switch i % 4 {
		case 0:
			q.MsgSignature = fmt.Sprintf("%040x", rnd.Uint64())
		case 1:
			q.MsgSignature = q.Signature
		case 2:
			body = bytes.Replace(body, []byte(platAppID), []byte(fmt.Sprintf("wx%016x", rnd.Uint64())), 1)
		case 3:
			body = bytes.Repeat([]byte("x"), len(body))
		}
		out[i] = shot{url: target + q.Encode(), body: body}
	}
	return out, nil
}
