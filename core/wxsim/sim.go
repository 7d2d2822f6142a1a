// Package wxsim is an embedded WeChat Open Platform simulator: the component API, the
// authorization pages, encrypted pushes to the 授权事件接收URL, a virtual clock, fault injection
// and a control API under /sim/, all on one base URL. It speaks the wire format of
// shared/reference/wechat-component-api.md closely enough that a client written for the real
// API cannot tell the difference, and it enforces WeChat's rules (ticket validity, token
// overlap, single-use codes, Referer checks, IP whitelist, daily quotas, refresh-token
// rotation).
//
// It depends only on the standard library, core/wxcrypt and the wire types of core/wxapi; it
// never imports the engine.
package wxsim

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"wxauth/core/wxapi"
)

// Options configure a Sim. The zero value is usable.
type Options struct {
	// Clock is the time source the virtual clock runs over; nil is real time.
	Clock Clock
	// Speed multiplies the passing of time on the virtual clock (0 means 1).
	Speed float64
	// HTTPClient sends the pushes; nil is a plain client (each push has its own timeout).
	HTTPClient *http.Client
	// Logger receives push failures and other events; nil discards them. Secrets are never
	// logged.
	Logger *slog.Logger
	// Random is the source of credentials, push encryption randomness and (through a seeded
	// generator) fault injection; nil is crypto/rand. A fixed reader makes runs reproducible.
	Random io.Reader
	// ClockFile, when set, carries the virtual clock across runs: the clock starts no earlier
	// than the latest time recorded there, and every push's CreateTime (and the time at
	// Close) is recorded. Without it a run after one whose clock was advanced or sped up
	// pushes tickets older than those its receiver already holds.
	ClockFile string
}

// Errors returned by the Go API (and mapped to HTTP statuses by the control API).
var (
	ErrUnknownPlatform   = errors.New("no such platform (component_appid)")
	ErrUnknownAccount    = errors.New("no such account (authorizer_appid)")
	ErrPreAuthCode       = errors.New("PreAuthCode无效: the pre_auth_code is unknown, used or expired")
	ErrNotAuthorized     = errors.New("the account has not authorized this platform")
	ErrNoEventURL        = errors.New("the platform has no event_url: pushes have nowhere to go")
	ErrPushFailed        = errors.New("push failed")
	ErrBadRequest        = errors.New("bad request")
	ErrAlreadyRunning    = errors.New("the push scheduler is already running")
	ErrAccountNotAllowed = errors.New("the account is not offered by this authorization page")
)

// Sim is a running simulated WeChat. Create it with New, serve Handler, run Run for the
// scheduled ticket pushes and Close it when done. All methods are safe for concurrent use.
type Sim struct {
	clock        *vclock
	mark         *clockMark
	gen          *gen
	log          *slog.Logger
	httpClient   *http.Client
	settings     Settings
	accounts     map[string]Account
	accountOrder []string
	prior        []PriorAuthorization // the world's authorizations, as it declared them

	// bgCtx ends with Close; bg counts the background pushes Close waits for.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	wake     chan struct{} // wakes Run's scheduler (Advance, a new event URL)

	mu             sync.Mutex // guards everything below
	closed         bool
	running        bool
	platforms      map[string]*platformState
	platformOrder  []string
	tokens         map[string]*tokenRec
	preAuthCodes   map[string]*preAuthRec
	authCodes      map[string]*authCodeRec
	grants         map[string]*grantRec
	authorizations map[string]*authorization // key authKey(component, authorizer)
	quotas         map[string]*quotaCounter  // key appid + "|" + api name
	quotaClears    map[string]*quotaCounter  // key appid; the period is a month
	rids           map[string]*ridRec        // error answers by rid, for openapi/rid/get
	ridQueue       []string                  // rids oldest first, for pruning
	faults         []Faults
	faultRand      *rand.Rand // draws faults; seeded from Options.Random for reproducible runs
	stats          counters
	customSends    []CustomSend // message/custom/send calls, for the release test
	lastSweep      time.Time
}

// withDefaults fills in the zero options and rejects a negative speed.
func (opts Options) withDefaults() (Options, error) {
	if opts.Speed < 0 {
		return opts, fmt.Errorf("speed must not be negative, got %v", opts.Speed)
	}
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Random == nil {
		opts.Random = crand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	return opts, nil
}

// New builds a simulator serving w (validated, defaults filled in).
func New(w World, opts Options) (*Sim, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("invalid world: %w", err)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	floor, err := readClockMark(opts.ClockFile)
	if err != nil {
		return nil, err
	}
	g := &gen{rnd: &lockedReader{src: opts.Random}}
	g.prefix = fmt.Sprintf("%02d", 10+int(g.bytes(1)[0])%90)
	s := &Sim{
		clock:          newVClock(opts.Clock, opts.Speed, floor),
		mark:           &clockMark{path: opts.ClockFile, marked: floor.Unix()},
		gen:            g,
		log:            opts.Logger,
		httpClient:     opts.HTTPClient,
		settings:       w.Settings.withDefaults(),
		accounts:       map[string]Account{},
		wake:           make(chan struct{}, 1),
		platforms:      map[string]*platformState{},
		tokens:         map[string]*tokenRec{},
		preAuthCodes:   map[string]*preAuthRec{},
		authCodes:      map[string]*authCodeRec{},
		grants:         map[string]*grantRec{},
		authorizations: map[string]*authorization{},
		quotas:         map[string]*quotaCounter{},
		quotaClears:    map[string]*quotaCounter{},
		rids:           map[string]*ridRec{},
		faultRand:      g.seededRand(),
		stats:          newCounters(),
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	now := s.clock.Now()
	s.lastSweep = now
	for _, a := range w.Accounts {
		s.accounts[a.AppID] = a
		s.accountOrder = append(s.accountOrder, a.AppID)
	}
	for _, p := range w.Platforms {
		ps, err := newPlatformState(p)
		if err != nil {
			return nil, err
		}
		s.newTicket(ps, now)
		s.platforms[p.ComponentAppID] = ps
		s.platformOrder = append(s.platformOrder, p.ComponentAppID)
	}
	for _, pa := range w.Authorizations {
		acc := s.accounts[pa.AuthorizerAppID]
		s.storeAuthorization(pa.ComponentAppID, acc, s.grantedFuncIDs(acc, pa.CategoryIDs), now)
		s.authorizations[authKey(pa.ComponentAppID, acc.AppID)].exchanged = !pa.NotExchanged
	}
	s.prior = w.Authorizations
	return s, nil
}

// Handler serves the whole WeChat side on one base URL: the component API, the authorization
// pages and the /sim/ control API.
func (s *Sim) Handler() http.Handler {
	eps := map[string]*endpoint{}
	for _, ep := range s.endpoints() {
		eps[ep.path] = ep
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if ep, ok := eps[p]; ok {
			s.serveAPI(w, r, ep)
			return
		}
		switch {
		case p == wxapi.PathComponentLoginPage:
			s.servePage(w, r, "componentloginpage", false)
		case p == wxapi.PathBindComponent:
			s.servePage(w, r, "wxaopen/safe/bindcomponent", true)
		case p == wxapi.PathBindComponentLegacy:
			s.servePage(w, r, "safe/bindcomponent", true)
		case p == ConfirmPath:
			s.serveConfirm(w, r)
		case p == "/sim" || strings.HasPrefix(p, "/sim/"):
			s.serveControl(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// Close stops background pushes (authorization events, api_start_push_ticket) and waits for
// them. The handler keeps answering; Run stops with its own context.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.bgCancel()
	s.bg.Wait()
	if err := s.mark.advanceTo(s.clock.Now()); err != nil {
		return fmt.Errorf("recording the virtual time: %w", err)
	}
	return nil
}

// Now is the virtual time.
func (s *Sim) Now() time.Time { return s.clock.Now() }

// Advance moves the virtual clock forward by d (negative values are ignored). Scheduled pushes
// that became due fire promptly.
func (s *Sim) Advance(d time.Duration) {
	s.clock.Advance(d)
	s.poke()
}

// poke wakes the push scheduler.
func (s *Sim) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Settings returns the effective settings (defaults filled in).
func (s *Sim) Settings() Settings { return s.settings }

// World returns the world as currently configured (platform URLs and whitelists included).
func (s *Sim) World() World {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := World{Settings: s.settings}
	for _, id := range s.platformOrder {
		p := s.platforms[id].platform
		p.IPWhitelist = append([]string{}, p.IPWhitelist...)
		w.Platforms = append(w.Platforms, p)
	}
	for _, id := range s.accountOrder {
		w.Accounts = append(w.Accounts, s.accounts[id])
	}
	w.Authorizations = append(w.Authorizations, s.prior...)
	return w
}
