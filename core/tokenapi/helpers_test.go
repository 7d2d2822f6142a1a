package tokenapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/tokenapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
	"wxauth/tokenclient"
)

// env is a sandbox (simulator + engine on the simulator's clock, a ticket received, two
// accounts authorized) with the token API served on a loopback port.
type env struct {
	sb   *sandbox.Sandbox
	ctx  context.Context
	url  string
	srv  *tokenapi.Server
	log  *syncBuffer
	comp string
	a, b string // two authorized accounts
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sb, err := sandbox.Start(ctx, sandbox.Options{SimClock: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	e := &env{sb: sb, ctx: ctx, log: logs, comp: sb.Platform.ComponentAppID}
	var ids []string
	for _, acc := range wxsim.DefaultWorld().Accounts[:2] {
		ids = append(ids, e.authorize(t, acc.AppID))
	}
	e.a, e.b = ids[0], ids[1]
	e.srv = tokenapi.New(tokenapi.Config{Engine: sb.Engine, Logger: logger})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.srv.Run(sctx) }()
	addr, _, err := e.srv.Listen(sctx, tokenapi.ListenOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); <-done })
	select {
	case <-e.srv.Ready():
	case <-ctx.Done():
		t.Fatal("the token API never became ready")
	}
	e.url = "http://" + addr
	return e
}

func (e *env) authorize(t testing.TB, appid string) string {
	t.Helper()
	a, err := e.sb.Engine.StartAuthorization(e.ctx, e.comp, flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.ApproveAs(e.ctx, a.Session.ID, appid); err != nil {
		t.Fatal(err)
	}
	s, err := e.sb.Engine.WaitSession(e.ctx, a.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s.AuthorizerAppID
}

// client adds a token-service client and returns a tokenclient with its key.
func (e *env) client(t *testing.T, spec flow.ClientSpec) (*tokenclient.Client, string) {
	t.Helper()
	if spec.ComponentAppID == "" {
		spec.ComponentAppID = e.comp
	}
	_, key, err := e.sb.Engine.AddClient(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// Added through the engine of this process: the directory reloads on its event; wait for it.
	waitFor(t, "the new client to be known", func() bool {
		return e.status(t, "GET", "/v1/authorizers", key, nil) == http.StatusOK
	})
	return tokenclient.New(e.url, key, tokenclient.WithClock(e.sb.Sim.Now), tokenclient.WithEarly(0)), key
}

// do makes a raw request and returns the status and body.
func (e *env) do(t *testing.T, method, path, key string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) status(t *testing.T, method, path, key string, body []byte) int {
	t.Helper()
	code, _ := e.do(t, method, path, key, body)
	return code
}

// wantAPIError checks that err is the service's error with this status and code.
func wantAPIError(t *testing.T, err error, status int, code string) *tokenclient.Error {
	t.Helper()
	var ae *tokenclient.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an API error %d %s", err, status, code)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("err = %v, want %d %s", err, status, code)
	}
	if ae.Message == "" || (status != http.StatusForbidden && ae.Remedy == "") {
		t.Fatalf("error without message or remedy: %+v", ae)
	}
	return ae
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) stored(t *testing.T, appid string) storage.Authorizer {
	t.Helper()
	a, err := e.sb.DB.Authorizer(e.ctx, e.comp, appid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustNotContain(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret (%.8s…)", where, s)
		}
	}
}
