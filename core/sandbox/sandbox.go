// Package sandbox runs wxauth against the embedded simulator in one process: the simulator and
// the listener on free loopback ports, and a sandbox platform in a database. It is what
// `wxauth demo` shows a newcomer, and what the headless smoke test drives.
//
// It plays the merchant too (Approve): it opens our launch page, follows its link to the
// simulator's authorization page with the Referer a browser would send, approves, and follows
// the redirect back to our callback, all over real HTTP.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/storage"
)

// Options configure a sandbox.
type Options struct {
	DBPath    string        // "" = a temporary database removed by Close
	Logger    *slog.Logger  // nil = discard
	Refresher bool          // run the engine's refresher in the background (the console wants it)
	Interval  time.Duration // refresher interval (default 5 s)
	// SimClock makes the engine tell time by the simulator's virtual clock, so advancing it
	// (POST /sim/clock) moves both sides: tests and soaks run hours in seconds.
	SimClock bool
	// World replaces the simulator's built-in sandbox world (its first platform is used).
	World *wxsim.World
	// StoreOptions open the database (the sealing key: flow.WithKey).
	StoreOptions []storage.Option
}

// Sandbox is a running simulator + engine + listener.
type Sandbox struct {
	Sim       *wxsim.Sim
	SimURL    string
	Engine    *flow.Engine
	DB        *storage.DB
	Platform  flow.Platform
	ListenURL string

	http    *http.Client
	cancel  context.CancelFunc
	done    []<-chan error
	cleanup []func()
}

// Start brings a sandbox up. Close it when done.
func Start(ctx context.Context, opts Options) (_ *Sandbox, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	sb := &Sandbox{cancel: cancel}
	defer func() { // a failed start stops what it started
		if err != nil {
			sb.Close()
		}
	}()

	world := wxsim.DefaultWorld()
	if opts.World != nil {
		world = *opts.World
	}
	if err := sb.startSim(world, logger); err != nil {
		return nil, err
	}
	db, err := sb.openDB(ctx, opts.DBPath, opts.StoreOptions)
	if err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	sb.http = &http.Client{Timeout: 15 * time.Second, Jar: jar}
	cfg := flow.Config{Store: db, Logger: logger.With("component", "engine"), HTTPClient: &http.Client{Timeout: 15 * time.Second}}
	if opts.SimClock {
		cfg.Clock = sb.Sim
	}
	sb.Engine = flow.New(cfg)

	addr, done, err := sb.Engine.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sb.done = append(sb.done, done)
	sb.ListenURL = "http://" + addr.String()

	p, err := sb.register(ctx, world.Platforms[0], addr)
	if err != nil {
		return nil, err
	}
	sb.Platform = p
	if err := sb.Sim.SetPlatformURLs(p.ComponentAppID, p.PublicURL+"/wechat/events", p.AuthDomain); err != nil {
		return nil, err
	}
	// Only now that pushes go to our listener does the simulator start pushing.
	go sb.Sim.Run(ctx)
	if opts.Refresher {
		interval := opts.Interval
		if interval == 0 {
			interval = 5 * time.Second
		}
		go sb.Engine.RunRefresher(ctx, interval)
	}
	return sb, nil
}

// startSim serves the simulator on a loopback port.
func (sb *Sandbox) startSim(world wxsim.World, logger *slog.Logger) error {
	sim, err := wxsim.New(world, wxsim.Options{Logger: logger.With("component", "sim")})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	sb.Sim = sim
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("simulator listener: %w", err)
	}
	simSrv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go simSrv.Serve(simLn)
	sb.cleanup = append(sb.cleanup, func() { simSrv.Close(); sim.Close() })
	sb.SimURL = "http://" + simLn.Addr().String()

	return nil
}

// openDB opens the database at dbPath, or in a temporary directory removed on Close.
func (sb *Sandbox) openDB(ctx context.Context, dbPath string, opts []storage.Option) (*storage.DB, error) {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "wxauth-demo-")
		if err != nil {
			return nil, err
		}
		sb.cleanup = append(sb.cleanup, func() { os.RemoveAll(dir) })
		dbPath = filepath.Join(dir, "wxauth.db")
	}
	db, err := storage.Open(ctx, dbPath, opts...)
	if err != nil {
		return nil, err
	}
	sb.DB = db
	sb.cleanup = append(sb.cleanup, func() { db.Close() })
	return db, nil
}

// register adds the world's platform, reached at our listener's address (a kept sandbox
// database from an earlier run gets the new ports).
func (sb *Sandbox) register(ctx context.Context, wp wxsim.Platform, addr net.Addr) (flow.Platform, error) {
	p := flow.Platform{ComponentAppID: wp.ComponentAppID, AppSecret: wp.ComponentAppSecret, Token: wp.Token,
		EncodingAESKey: wp.EncodingAESKey, AuthDomain: addr.String(), PublicURL: sb.ListenURL, ListenAddr: addr.String(),
		APIBase: sb.SimURL, LoginBase: sb.SimURL, MobileBase: sb.SimURL}
	if existing, err := sb.Engine.Platform(ctx, p.ComponentAppID); err == nil {
		// A kept sandbox database from an earlier run: the ports are new.
		p.CreatedAt = existing.CreatedAt
		if p, err = sb.Engine.UpdatePlatform(ctx, p); err != nil {
			return p, err
		}
	} else if p, err = sb.Engine.AddPlatform(ctx, p); err != nil {
		return p, err
	}
	return p, sb.Engine.LoadCrypters(ctx)
}

// Close stops everything and removes a temporary database.
func (sb *Sandbox) Close() {
	if sb.cancel != nil {
		sb.cancel()
	}
	if sb.Engine != nil {
		sb.Engine.Close()
	}
	for _, d := range sb.done {
		select {
		case <-d:
		case <-time.After(5 * time.Second):
		}
	}
	for i := len(sb.cleanup) - 1; i >= 0; i-- {
		sb.cleanup[i]()
	}
}

// PushTicket makes the simulator push the current ticket to our listener now.
func (sb *Sandbox) PushTicket(ctx context.Context) error {
	return sb.Sim.PushTicket(ctx, sb.Platform.ComponentAppID, false)
}

// Approve plays the merchant for a session: the first account the page offers approves.
func (sb *Sandbox) Approve(ctx context.Context, sessionID string) error {
	_, err := sb.ApproveAs(ctx, sessionID, "")
	return err
}

// pagePatterns find what a merchant would click on the simulator's pages; compiled on first
// use, not at init (every command would pay for them at start-up).
type pagePatterns struct{ authorizeLink, grant, account, formAction *regexp.Regexp }

var patterns = sync.OnceValue(func() pagePatterns {
	return pagePatterns{
		authorizeLink: regexp.MustCompile(`id="authorize" href="([^"]+)"`),
		grant:         regexp.MustCompile(`name="grant" value="([^"]+)"`),
		account:       regexp.MustCompile(`name="authorizer_appid" value="([^"]+)"`),
		formAction:    regexp.MustCompile(`<form method="post" action="([^"]+)"`),
	}
})

// ApproveAs approves session sessionID as account appid ("" = the first offered), through the
// same pages a browser would use, and returns the appid approved.
func (sb *Sandbox) ApproveAs(ctx context.Context, sessionID, appid string) (string, error) {
	launch := sb.Engine.LaunchURL(sb.Platform, sessionID)
	page, err := sb.get(ctx, launch, "")
	if err != nil {
		return "", fmt.Errorf("launch page: %w", err)
	}
	re := patterns()
	m := re.authorizeLink.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("launch page has no authorization link: %s", brief(page))
	}
	loginURL := htmlUnescape(m[1])
	// The Referer is our launch page: that is what WeChat checks against 授权发起页域名.
	login, err := sb.get(ctx, loginURL, launch)
	if err != nil {
		return "", fmt.Errorf("authorization page: %w", err)
	}
	grants, accounts, actions := re.grant.FindAllStringSubmatch(login, -1), re.account.FindAllStringSubmatch(login, -1), re.formAction.FindAllStringSubmatch(login, -1)
	if len(grants) == 0 || len(grants) != len(accounts) || len(actions) != len(grants) {
		return "", fmt.Errorf("the authorization page offers no account to approve: %s", brief(login))
	}
	pick := 0
	if appid != "" {
		pick = -1
		for i, a := range accounts {
			if a[1] == appid {
				pick = i
			}
		}
		if pick < 0 {
			return "", fmt.Errorf("the authorization page does not offer %s", appid)
		}
	}
	base, _ := url.Parse(loginURL)
	action, err := base.Parse(htmlUnescape(actions[pick][1]))
	if err != nil {
		return "", err
	}
	form := url.Values{"grant": {htmlUnescape(grants[pick][1])}, "authorizer_appid": {accounts[pick][1]}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", loginURL)
	// The 302 leads to our callback, which exchanges the code and renders the result.
	result, err := sb.do(req)
	if err != nil {
		return "", fmt.Errorf("approval: %w", err)
	}
	if !strings.Contains(result, "<h1>Authorized</h1>") {
		return "", fmt.Errorf("the callback did not report success: %s", brief(result))
	}
	return accounts[pick][1], nil
}

func (sb *Sandbox) get(ctx context.Context, u, referer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	return sb.do(req)
}

func (sb *Sandbox) do(req *http.Request) (string, error) {
	resp, err := sb.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("%s: HTTP %d: %s", req.URL.Path, resp.StatusCode, brief(string(body)))
	}
	return string(body), nil
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

// brief shortens a page for an error message: its text without tags.
func brief(page string) string {
	text := regexp.MustCompile(`(?s)<style.*?</style>|<script.*?</script>|<[^>]+>`).ReplaceAllString(page, " ")
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}

// ErrNoTicket is returned by WaitTicket when no ticket arrived in time.
var ErrNoTicket = errors.New("no ticket arrived from the simulator")

// WaitTicket waits until the engine has stored a ticket.
func (sb *Sandbox) WaitTicket(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := sb.DB.CurrentTicket(ctx, sb.Platform.ComponentAppID); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return ErrNoTicket
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
