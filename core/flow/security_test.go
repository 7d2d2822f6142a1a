package flow_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/sandbox"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// lockedBuffer is a log sink shared by the engine, the listener and the simulator.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secretSet collects every credential the run has seen, by kind, from the database.
type secretSet map[string]string // value → kind

func (s secretSet) add(kind, v string) {
	if len(v) >= 8 { // shorter values (e.g. "aes") would match ordinary words
		s[v] = kind
	}
}

func (s secretSet) collect(t *testing.T, ctx context.Context, sb *sandbox.Sandbox) {
	t.Helper()
	appid := sb.Platform.ComponentAppID
	p, err := sb.DB.Platform(ctx, appid)
	if err != nil {
		t.Fatal(err)
	}
	s.add("appsecret", p.AppSecret)
	s.add("EncodingAESKey", p.EncodingAESKey)
	s.add("message Token", p.Token)
	if tok, err := sb.DB.ComponentToken(ctx, appid); err == nil {
		s.add("component_access_token", tok.Token)
	}
	if tk, err := sb.DB.CurrentTicket(ctx, appid); err == nil {
		s.add("component_verify_ticket", tk.Ticket)
	}
	as, err := sb.DB.Authorizers(ctx, appid)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		s.add("authorizer_access_token", a.AccessToken)
		s.add("authorizer_refresh_token", a.RefreshToken)
		hist, _ := sb.DB.RefreshTokenHistory(ctx, appid, a.AppID)
		for _, h := range hist {
			s.add("authorizer_refresh_token", h)
		}
	}
	if sess, err := sb.DB.LatestSession(ctx, appid); err == nil {
		s.add("auth_code", sess.AuthCode)
		s.add("pre_auth_code", sess.PreAuthCode)
	}
}

// TestSecretsNeverLogged runs the whole headless flow plus the failure paths that write the
// most text (truncated JSON, a superseded component token, forged and replayed pushes) with
// one logger for the engine, the listener and the simulator, then greps every log line, every
// event message in the database and every step detail for every credential seen on the way.
func TestSecretsNeverLogged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sb, err := sandbox.Start(ctx, sandbox.Options{SimClock: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	secrets := secretSet{}
	var details []string
	rep, err := sb.RunHeadless(ctx, func(s sandbox.Step) {
		details = append(details, s.Detail)
		secrets.collect(t, ctx, sb)
	})
	if err != nil {
		t.Fatal(err)
	}
	appid := sb.Platform.ComponentAppID
	authorizer := rep.Authorizers[0].AppID

	// Failure paths: error texts are where credentials leak in other SDKs.
	sb.Sim.SetFaults(wxsim.Faults{MalformedRate: 1})
	if err := sb.Engine.RefreshAuthorizer(ctx, "", authorizer); err == nil {
		t.Fatal("refresh against truncated JSON succeeded")
	}
	sb.Sim.SetFaults(wxsim.Faults{Path: "/cgi-bin/component/api_authorizer_token", ErrCode: 40001, ErrorRate: 0.5})
	for i := 0; i < 4; i++ {
		_ = sb.Engine.RefreshAuthorizer(ctx, "", authorizer)
		secrets.collect(t, ctx, sb)
	}
	sb.Sim.ClearFaults()
	if err := sb.Engine.RefreshAuthorizer(ctx, "", authorizer); err != nil {
		t.Fatal(err)
	}
	secrets.collect(t, ctx, sb)
	// A forged push (logged as rejected) and a replayed genuine one (logged as a duplicate).
	forged := sealTicket(t, sb, "ticket@@@forged", sb.Sim.Now().Unix())
	forged.Query.MsgSignature = strings.Repeat("0", 40)
	if code, _ := post(t, sb, forged.Query.Encode(), forged.Body); code != 403 {
		t.Fatalf("forged push answered %d", code)
	}
	genuine := sealTicket(t, sb, "ticket@@@genuine-"+strings.Repeat("x", 40), sb.Sim.Now().Unix()+1)
	for i := 0; i < 2; i++ {
		if code, _ := post(t, sb, genuine.Query.Encode(), genuine.Body); code != 200 {
			t.Fatalf("genuine push answered %d", code)
		}
	}
	secrets.collect(t, ctx, sb)

	events, err := sb.Engine.Events(ctx, appid, 10000)
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(logs.String(), "\n")
	for _, ev := range events {
		texts = append(texts, ev.Text())
	}
	texts = append(texts, details...)
	for _, must := range []string{"push rejected", "duplicate push acknowledged", "api_authorizer_token", `"component":"sim"`} {
		if !strings.Contains(logs.String(), must) {
			t.Fatalf("the logs lack %q: the check would miss that path", must)
		}
	}
	if len(secrets) < 10 || len(events) < 10 || strings.Count(logs.String(), "\n") < 20 {
		t.Fatalf("too little to check: %d secrets, %d events, %d log lines", len(secrets), len(events), strings.Count(logs.String(), "\n"))
	}
	for _, text := range texts {
		for secret, kind := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s %s appears in: %s", kind, flow.Mask(secret), text)
			}
		}
	}
	t.Logf("checked %d log lines, %d events, %d step details against %d secrets", strings.Count(logs.String(), "\n"), len(events), len(details), len(secrets))
}

// TestFilesOwnerOnly: the database directory is 0700, the database and its WAL files 0600.
func TestFilesOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "wxauth")
	db, err := storage.Open(ctx, filepath.Join(dir, "wxauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := flow.New(flow.Config{Store: db})
	if err := e.SetTicket(ctx, "", "x"); err == nil {
		t.Fatal("a ticket for no platform was accepted")
	}
	if _, _, err := db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wx0000000000000000", Ticket: "t", CreateTime: time.Now(), ReceivedAt: time.Now(), Source: "test"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "wxauth.db"): 0o600,
		filepath.Join(dir, "wxauth.db-wal"): 0o600, filepath.Join(dir, "wxauth.db-shm"): 0o600}
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, mode)
		}
	}
}

// TestListenerLoopbackByDefault: a platform without a listen address binds loopback only.
func TestListenerLoopbackByDefault(t *testing.T) {
	p := flow.Platform{ComponentAppID: "wx3f9a6c21b5d7e08c", AppSecret: strings.Repeat("a", 32), Token: "token",
		EncodingAESKey: strings.Repeat("A", 43), AuthDomain: "auth.example.com"}
	if err := flow.ValidatePlatform(&p); err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(p.ListenAddr)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("default listen address %s is not loopback", p.ListenAddr)
	}
}

// TestSessionsUnguessableAndSingleUse: session ids are 128 random bits; once a session has
// its code, neither its launch page nor its callback starts anything again.
func TestSessionsUnguessableAndSingleUse(t *testing.T) {
	sb, ctx := start(t)
	appid := firstMiniProgram(t)
	a1, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := sb.Engine.StartAuthorization(ctx, "", flow.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	idRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if !idRE.MatchString(a1.Session.ID) || !idRE.MatchString(a2.Session.ID) || a1.Session.ID == a2.Session.ID {
		t.Fatalf("session ids %q %q: want distinct 128-bit hex", a1.Session.ID, a2.Session.ID)
	}
	if _, err := sb.ApproveAs(ctx, a1.Session.ID, appid); err != nil {
		t.Fatal(err)
	}
	done, err := sb.Engine.WaitSession(ctx, a1.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	exchanges := sb.Sim.Stats().Calls["api_query_auth"]

	get := func(path string) (int, string) {
		resp, err := http.Get(sb.ListenURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, page := get("/wechat/auth/start?session=" + a1.Session.ID); code != 404 || strings.Contains(page, "componentloginpage") {
		t.Fatalf("the launch page of a used session answered %d", code)
	}
	if code, _ := get("/wechat/auth/start?session=" + strings.Repeat("0", 32)); code != 404 {
		t.Fatalf("the launch page of a made-up session answered %d", code)
	}
	code, page := get("/wechat/auth/callback?session=" + a1.Session.ID + "&auth_code=" + url.QueryEscape("queryauthcode@@@someone-else"))
	if code != 200 {
		t.Fatalf("callback of a used session answered %d", code)
	}
	after, _ := sb.Engine.Session(ctx, a1.Session.ID)
	if after.AuthCode != done.AuthCode || sb.Sim.Stats().Calls["api_query_auth"] != exchanges {
		t.Fatalf("a second code was taken for a used session (page: %s)", page)
	}
}
