package flow_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/refresh"
	"wxauth/core/sandbox"
	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// soakConfig sizes a soak run.
type soakConfig struct {
	authorizers int
	span        time.Duration // simulated time driven through after the authorizations
	step        time.Duration // the virtual clock moves by this much at a time
	faults      wxsim.Faults
	revocations int // merchants who cancel during the run
	reauths     int // merchants who authorize again during the run (refresh token rotated)
	samples     int // `wxauth token` calls per step
	settle      time.Duration
}

// soakFull is the soak: 1,000 authorizers through 48 simulated hours with 20% -1
// answers, gateway errors, dropped connections, truncated JSON and 2 s latency spikes.
var soakFull = soakConfig{
	authorizers: 1000, span: 48 * time.Hour, step: time.Minute, revocations: 10, reauths: 10, samples: 5,
	settle: 2 * time.Minute,
	faults: wxsim.Faults{ErrorRate: 0.2, ErrCode: -1, HTTPRate: 0.02, HTTPStatus: 502, DropRate: 0.02,
		MalformedRate: 0.01, Latency: wxsim.Duration(2 * time.Second), LatencyRate: 0.01},
}

// soakShort runs by default: the same machinery, smaller and with lighter faults.
var soakShort = soakConfig{
	authorizers: 50, span: 6 * time.Hour, step: time.Minute, revocations: 2, reauths: 2, samples: 3,
	settle: time.Minute,
	faults: wxsim.Faults{ErrorRate: 0.1, ErrCode: -1, HTTPRate: 0.01, HTTPStatus: 503, DropRate: 0.01,
		MalformedRate: 0.01, Latency: wxsim.Duration(200 * time.Millisecond), LatencyRate: 0.01},
}

// soakWorld is the sandbox platform with n merchant accounts. The token API's daily quota is
// set to 1.2× what the lifetimes require (n tokens every authorizer_token_ttl), so "the quota
// is never hit" is also the no-storm check. (The simulator's default of 10,000 a day per
// platform, UNCONFIRMED, cannot keep 1,000 two-hour tokens alive: they need 12,000 a day.)
func soakWorld(n int) wxsim.World {
	w := wxsim.DefaultWorld()
	w.Accounts = w.Accounts[:0]
	for i := 0; i < n; i++ {
		kind := wxsim.KindMiniProgram
		if i%5 == 4 {
			kind = wxsim.KindOfficialAccount
		}
		w.Accounts = append(w.Accounts, wxsim.Account{
			AppID: fmt.Sprintf("wx50a4%012x", i), UserName: fmt.Sprintf("gh_5a%010x", i),
			NickName: fmt.Sprintf("浸泡测试 %d", i), Kind: kind, PrincipalName: fmt.Sprintf("浸泡 %d 有限公司", i/50),
		})
	}
	perDay := float64(n) * float64(24*time.Hour) / float64(wxsim.DefaultAuthorizerTokenTTL)
	w.Settings.DailyQuota = map[string]int{"api_authorizer_token": int(math.Ceil(1.2 * perDay))}
	return w
}

// countingTransport counts the API calls a client makes, by API name.
type countingTransport struct {
	mu    sync.Mutex
	calls map[string]int
	next  http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls[r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[path]
}

// TestSoak drives the whole engine (listener, background refresher, pushes, authorizations,
// revocations, re-authorizations) through simulated hours against a faulty WeChat, with the
// virtual clock shared by the simulator and the engine. A second engine on its own database
// connection plays `wxauth token`. It asserts:
//   - every token `wxauth token` hands out works at the simulator (never expired, never
//     revoked), and revoked accounts get an explanation instead of a token;
//   - no refresh token is ever lost: never empty, and at the end equal to WeChat's;
//   - tokens minted stay within 1.2× the minimum the lifetimes require;
//   - the daily quota is never hit (no 45009).
//
// WXAUTH_SOAK=1 runs the full soak (1,000 authorizers, 48 h, 20% -1); the default is a short
// one (50 authorizers, 6 h, lighter faults). Figures are logged, never asserted as timings.
func TestSoak(t *testing.T) {
	cfg := soakShort
	if os.Getenv("WXAUTH_SOAK") == "1" {
		cfg = soakFull
	} else if testing.Short() {
		t.Skip("soak skipped in -short mode")
	}
	if raceEnabled && cfg.authorizers > 20 && os.Getenv("WXAUTH_SOAK") != "1" {
		cfg.authorizers, cfg.span = 20, 4*time.Hour // the race detector slows SQLite ~10×
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WXAUTH_SOAK_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("WXAUTH_SOAK_SEED=%q: %v", s, err)
		}
	}
	t.Logf("soak: %d authorizers, %v simulated in %v steps, faults %+v, seed %d (WXAUTH_SOAK_SEED to replay the schedule)",
		cfg.authorizers, cfg.span, cfg.step, cfg.faults, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x50a4))
	runSoak(t, cfg, rng)
}

// soakState is what the soak tracks while it runs.
type soakState struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	tokenDB *storage.DB
	tokEng  *flow.Engine
	tokHTTP *countingTransport
	policy  refresh.Policy
	appid   string

	authAt  map[string]time.Time // first authorization (virtual)
	revoked map[string]time.Time // when the revocation was confirmed (virtual)
	reauthN int                  // re-authorizations that reached api_query_auth

	samples, refused, notQuiet int
	quietWait                  time.Duration
	worstLeft                  time.Duration // the shortest remaining life of a token handed out
}

func runSoak(t *testing.T, cfg soakConfig, rng *rand.Rand) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	world := soakWorld(cfg.authorizers)
	logPath := filepath.Join(t.TempDir(), "engine.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The serve code path: listener (pushes) and the background refresher of `wxauth serve`.
	sb, err := sandbox.Start(ctx, sandbox.Options{SimClock: true, World: &world, Refresher: true,
		Interval: 100 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.PushTicket(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.WaitTicket(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	tokenDB, err := storage.Open(ctx, sb.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer tokenDB.Close()
	counting := &countingTransport{calls: map[string]int{}, next: http.DefaultTransport}
	st := &soakState{
		t: t, sb: sb, tokenDB: tokenDB, tokHTTP: counting, policy: refresh.Policy{}.WithDefaults(),
		appid:  sb.Platform.ComponentAppID,
		tokEng: flow.New(flow.Config{Store: tokenDB, Clock: sb.Sim, Holder: "wxauth-token", HTTPClient: &http.Client{Timeout: 15 * time.Second, Transport: counting}}),
		authAt: map[string]time.Time{}, revoked: map[string]time.Time{}, worstLeft: time.Duration(math.MaxInt64),
	}
	defer st.tokEng.Close()

	setup := time.Now()
	st.authorizeAll(ctx, world.Accounts)
	t.Logf("setup: %d authorizations through the engine and the simulator in %v", len(world.Accounts), time.Since(setup).Round(time.Millisecond))

	sb.Sim.SetFaults(cfg.faults)
	begin, wall := sb.Sim.Now(), time.Now()
	steps := int(cfg.span / cfg.step)
	revokeAt, reauthAt := map[int]string{}, map[int]string{}
	order := rng.Perm(len(world.Accounts))
	for i := 0; i < cfg.revocations; i++ {
		revokeAt[(i+1)*steps/(cfg.revocations+1)] = world.Accounts[order[i]].AppID
	}
	for i := 0; i < cfg.reauths; i++ {
		reauthAt[(2*i+1)*steps/(2*cfg.reauths+2)] = world.Accounts[order[cfg.revocations+i]].AppID
	}
	appids := make([]string, len(world.Accounts))
	for i, a := range world.Accounts {
		appids[i] = a.AppID
	}

	for step := 1; step <= steps; step++ {
		sb.Sim.Advance(cfg.step)
		if who, ok := revokeAt[step]; ok {
			st.revoke(ctx, who)
		}
		if who, ok := reauthAt[step]; ok {
			st.reauthorize(ctx, who)
		}
		st.waitQuiet(ctx, cfg.settle)
		for i := 0; i < cfg.samples; i++ {
			st.sample(ctx, appids[rng.IntN(len(appids))])
		}
		if step%30 == 0 {
			st.checkRefreshTokens(ctx)
		}
		if t.Failed() {
			st.dumpLog(logPath)
			t.FailNow()
		}
		if step%(steps/8) == 0 {
			s := sb.Sim.Stats()
			t.Logf("  %v simulated (%v real): %d authorizer tokens minted, %d api_authorizer_token calls, %d faults",
				sb.Sim.Now().Sub(begin).Round(time.Minute), time.Since(wall).Round(time.Second),
				s.AuthorizerTokensMinted, s.Calls["api_authorizer_token"], s.FaultsInjected)
		}
	}
	// Past the span: stop the faults and give the refresher a few more minutes (an authorizer
	// whose last attempt failed is retried after a minute), then compare with WeChat.
	sb.Sim.ClearFaults()
	for i := 0; i < 3; i++ {
		sb.Sim.Advance(cfg.step)
		st.waitQuiet(ctx, cfg.settle)
	}
	end := sb.Sim.Now()
	st.checkRefreshTokens(ctx)
	st.finalChecks(ctx, begin, end)
	st.report(begin, end, time.Since(wall))
	if t.Failed() {
		st.dumpLog(logPath)
	}
}

// authorizeAll authorizes every account through the engine: a pre_auth_code, the merchant's
// approval at the simulator (which also pushes `authorized` to the listener), and the code
// captured as the redirect would; whichever of the push and the capture comes first exchanges
// the code.
func (st *soakState) authorizeAll(ctx context.Context, accounts []wxsim.Account) {
	t := st.t
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(accounts) {
					return
				}
				at, err := st.authorizeOne(ctx, accounts[i].AppID)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s: %w", accounts[i].AppID, err) })
					return
				}
				mu.Lock()
				st.authAt[accounts[i].AppID] = at
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}

func (st *soakState) authorizeOne(ctx context.Context, account string) (time.Time, error) {
	eng := st.sb.Engine
	auth, err := eng.StartAuthorization(ctx, st.appid, flow.AuthOptions{BizAppID: account})
	if err != nil {
		return time.Time{}, fmt.Errorf("start: %w", err)
	}
	res, err := st.sb.Sim.Authorize(ctx, wxsim.AuthorizeRequest{ComponentAppID: st.appid, PreAuthCode: auth.Session.PreAuthCode,
		AuthorizerAppID: account, RedirectURI: st.sb.Platform.PublicURL + "/wechat/auth/callback?session=" + auth.Session.ID})
	if err != nil {
		return time.Time{}, fmt.Errorf("approval: %w", err)
	}
	a, err := eng.CaptureCode(ctx, auth.Session.ID, res.AuthCode, flow.SourceRedirect)
	if err != nil {
		return time.Time{}, fmt.Errorf("capture: %w", err)
	}
	if a.AppID != account || a.RefreshToken == "" || a.AccessToken == "" {
		return time.Time{}, fmt.Errorf("stored %+v", a)
	}
	return a.AccessObtainedAt, nil
}

// revoke has the merchant cancel, and waits for the `unauthorized` push (or a refresh that
// meets 61003) to mark the authorizer revoked.
func (st *soakState) revoke(ctx context.Context, appid string) {
	t := st.t
	if err := st.sb.Sim.Unauthorize(ctx, st.appid, appid); err != nil {
		t.Fatalf("revoking %s: %v", appid, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, err := st.tokenDB.Authorizer(ctx, st.appid, appid)
		if err == nil && a.Status == storage.StatusRevoked {
			st.revoked[appid] = st.sb.Sim.Now()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %q 20 s after the merchant cancelled", appid, a.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reauthorize has a merchant authorize again under the faults: WeChat rotates the refresh
// token (the old one works 5 more minutes). A failed capture is not retried here: the push,
// the refresher's 61023 recovery (api_get_authorizer_list) or a later attempt must still keep
// the authorizer working.
func (st *soakState) reauthorize(ctx context.Context, appid string) {
	if _, isRevoked := st.revoked[appid]; isRevoked {
		return
	}
	before := st.sb.Sim.Stats().Calls["api_query_auth"]
	if _, err := st.authorizeOne(ctx, appid); err != nil {
		st.t.Logf("  re-authorization of %s under faults failed (%v); the engine must recover", appid, err)
	}
	st.reauthN += int(st.sb.Sim.Stats().Calls["api_query_auth"] - before)
}

// due lists what the refresher still has to renew now, by the engine's own policy.
func (st *soakState) due(ctx context.Context) ([]string, error) {
	now := st.sb.Sim.Now()
	var out []string
	if tok, err := st.tokenDB.ComponentToken(ctx, st.appid); err != nil || st.policy.Due(now, "component/"+st.appid, tok.ObtainedAt, tok.ExpiresAt) {
		out = append(out, "component")
	}
	list, err := st.tokenDB.Authorizers(ctx, st.appid)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		switch {
		case a.Status == storage.StatusRevoked, a.Status == storage.StatusNeedsReauth, a.Status == storage.StatusNoToken:
		case a.Status == storage.StatusError && now.Sub(a.LastErrorAt) < time.Minute: // backing off
		case st.policy.Due(now, "authorizer/"+a.AppID, a.AccessObtainedAt, a.AccessExpiresAt):
			out = append(out, a.AppID)
		}
	}
	return out, nil
}

// waitQuiet gives the background refresher the real time it needs: in production a wave of
// renewals has minutes of wall time; here the clock waits until nothing is due (or until
// settle passes, which is reported).
func (st *soakState) waitQuiet(ctx context.Context, settle time.Duration) {
	begin := time.Now()
	defer func() { st.quietWait += time.Since(begin) }()
	for {
		due, err := st.due(ctx)
		if err != nil {
			st.t.Fatalf("reading the database: %v", err)
		}
		if len(due) == 0 {
			return
		}
		if time.Since(begin) > settle {
			st.notQuiet++
			st.t.Logf("  still due after %v of wall time: %d (%s…)", settle, len(due), due[0])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sample is one `wxauth token APPID`: the token handed out must work at the simulator now.
func (st *soakState) sample(ctx context.Context, appid string) {
	t := st.t
	st.samples++
	a, err := st.tokEng.AuthorizerToken(ctx, "", appid)
	if _, isRevoked := st.revoked[appid]; isRevoked {
		if err == nil || !flow.NeedsUser(err) || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("token of revoked %s: token %q, err %v; want the cancellation explained", appid, flow.Mask(a.AccessToken), err)
		}
		st.refused++
		return
	}
	if err != nil {
		t.Errorf("token of %s at %v: %v", appid, st.sb.Sim.Now().Format(time.RFC3339), err)
		return
	}
	info := st.sb.Sim.CheckToken(a.AccessToken)
	if !info.Valid || info.AppID != appid || info.Kind != "authorizer" {
		t.Errorf("token of %s handed out but the simulator says %+v (stored expiry %v, now %v)", appid, info,
			a.AccessExpiresAt.Format(time.RFC3339), st.sb.Sim.Now().Format(time.RFC3339))
		return
	}
	st.worstLeft = min(st.worstLeft, time.Duration(info.ExpiresIn)*time.Second)
}

// checkRefreshTokens: no authorizer that still has its authorization lost its refresh token.
func (st *soakState) checkRefreshTokens(ctx context.Context) {
	list, err := st.tokenDB.Authorizers(ctx, st.appid)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, a := range list {
		if a.RefreshToken == "" || a.Status == storage.StatusNeedsReauth {
			st.t.Errorf("%s at %v: refresh token %q, status %s (%s)", a.AppID, st.sb.Sim.Now().Format(time.RFC3339),
				flow.Mask(a.RefreshToken), a.Status, a.LastError)
		}
	}
}

// finalChecks compares what we hold with what WeChat holds, and counts what was minted.
func (st *soakState) finalChecks(ctx context.Context, begin, end time.Time) {
	t := st.t
	comp, err := st.tokEng.ComponentToken(ctx, st.appid)
	if err != nil {
		t.Fatal(err)
	}
	c := wxapi.NewClient(&http.Client{Timeout: 30 * time.Second}, wxapi.WithBaseURL(st.sb.SimURL))
	items, err := c.AllAuthorizers(ctx, comp.Token, st.appid)
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[string]string{}
	for _, it := range items {
		theirs[it.AuthorizerAppID] = it.RefreshToken
	}
	list, err := st.tokenDB.Authorizers(ctx, st.appid)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if _, isRevoked := st.revoked[a.AppID]; isRevoked {
			if a.Status != storage.StatusRevoked {
				t.Errorf("revoked %s ends %s", a.AppID, a.Status)
			}
			continue
		}
		if a.RefreshToken == "" || a.RefreshToken != theirs[a.AppID] {
			t.Errorf("%s: our refresh token %s, WeChat's %s", a.AppID, flow.Mask(a.RefreshToken), flow.Mask(theirs[a.AppID]))
		}
		if a.Status != storage.StatusHealthy {
			t.Errorf("%s ends %s (%s)", a.AppID, a.Status, a.LastError)
		}
		if info := st.sb.Sim.CheckToken(a.AccessToken); !info.Valid || info.AppID != a.AppID {
			t.Errorf("%s ends with a token WeChat refuses: %+v", a.AppID, info)
		}
	}
	stats := st.sb.Sim.Stats()
	if n := stats.Errors["45009"]; n != 0 {
		t.Errorf("the daily quota was hit %d times", n)
	}
	if n := st.tokHTTP.count(wxapi.PathAuthorizerToken); n != 0 {
		t.Logf("  `wxauth token` had to refresh %d times itself (the refresher was late)", n)
	}
	minimum, minted := st.minimumTokens(end), stats.AuthorizerTokensMinted
	ratio := float64(minted) / float64(minimum)
	// Over a span of only a few token lifetimes the last token of each authorizer outlives the
	// end by up to a lifetime: allow that one per authorizer before applying the 1.2 factor.
	slack := int64(0)
	if end.Sub(begin) < 24*time.Hour {
		slack = int64(len(st.authAt))
	}
	if float64(minted) > 1.2*float64(minimum)+float64(slack) {
		t.Errorf("%d authorizer tokens minted, %.3f× the minimum %d the lifetimes require (limit 1.2×)", minted, ratio, minimum)
	}
}

// minimumTokens is how many authorizer tokens the lifetimes require: each account needs a
// token covering every instant from its authorization to the end (or its revocation), so
// ⌈span / ttl⌉, plus one per re-authorization (each exchange mints one).
func (st *soakState) minimumTokens(end time.Time) int64 {
	ttl := st.sb.Sim.Settings().AuthorizerTokenTTL.D()
	var n int64
	for appid, at := range st.authAt {
		stop := end
		if r, ok := st.revoked[appid]; ok {
			stop = r
		}
		n += int64(math.Ceil(float64(stop.Sub(at)) / float64(ttl)))
	}
	return n + int64(st.reauthN)
}

func (st *soakState) report(begin, end time.Time, wall time.Duration) {
	t := st.t
	s := st.sb.Sim.Stats()
	minimum := st.minimumTokens(end)
	compMin := int64(math.Ceil(float64(end.Sub(begin)) / float64(st.sb.Sim.Settings().ComponentTokenTTL.D())))
	var errs []string
	for code, n := range s.Errors {
		errs = append(errs, fmt.Sprintf("%s×%d", code, n))
	}
	t.Logf("soak figures: %v simulated in %v wall (%v waiting for the refresher to settle; %d steps not settled in time)",
		end.Sub(begin).Round(time.Minute), wall.Round(time.Second), st.quietWait.Round(time.Second), st.notQuiet)
	t.Logf("  authorizer tokens minted %d = %.3f× the minimum %d; api_authorizer_token attempts %d (faulted ones included)",
		s.AuthorizerTokensMinted, float64(s.AuthorizerTokensMinted)/float64(minimum), minimum, s.Calls["api_authorizer_token"])
	t.Logf("  component tokens minted %d (minimum %d for the span); api_component_token attempts %d",
		s.ComponentTokensMinted, compMin, s.Calls["api_component_token"])
	t.Logf("  faults injected %d %v; error answers %s; 45009: %d", s.FaultsInjected, s.FaultsByKind, strings.Join(errs, " "), s.Errors["45009"])
	t.Logf("  `wxauth token` samples %d (%d refused for revoked accounts), shortest remaining life handed out %v; its own refreshes %d",
		st.samples, st.refused, st.worstLeft, st.tokHTTP.count(wxapi.PathAuthorizerToken))
	t.Logf("  revocations %d, re-authorization exchanges %d, ticket pushes %d (failed %d)", len(st.revoked), st.reauthN, s.PushesByType["component_verify_ticket"], s.PushesFailed)
}

func (st *soakState) dumpLog(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	st.t.Logf("last engine warnings:\n%s", strings.Join(lines, "\n"))
}
