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
	"net/netip"
	"sort"
	"sync"
	"time"

	"wxauth/core/wxcrypt"
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
	clock    *vclock
	gen      *gen
	log      *slog.Logger
	hc       *http.Client
	settings Settings
	accounts map[string]Account
	accOrder []string

	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	wake     chan struct{}

	mu        sync.Mutex
	closed    bool
	running   bool
	platforms map[string]*platformState
	platOrder []string
	tokens    map[string]*tokenRec
	preAuth   map[string]*preAuthRec
	authCodes map[string]*authCodeRec
	grants    map[string]*grantRec
	auths     map[string]*authorization // key authKey(component, authorizer)
	quotas    map[string]*quotaCounter  // key appid + "|" + api name
	clears    map[string]*quotaCounter  // key appid; day holds the month
	rids      map[string]*ridRec
	ridQueue  []string
	faults    []Faults
	frand     *rand.Rand
	stats     counters
	lastSweep time.Time
}

type platformState struct {
	p         Platform
	whitelist []netip.Prefix
	crypter   *wxcrypt.Crypter

	ticket       string
	ticketIssued time.Time
	ticketPushes int                  // pushes of the current ticket so far
	tickets      map[string]time.Time // every ticket issued → when
	pushNormal   bool                 // the last ticket push was answered "success"
	nextPush     time.Time

	compCur, compPrev string // component tokens
}

type tokenKind int

const (
	kindComponent tokenKind = iota + 1
	kindAuthorizer
)

func (k tokenKind) String() string {
	if k == kindComponent {
		return "component"
	}
	return "authorizer"
}

type tokenRec struct {
	kind       tokenKind
	component  string
	authorizer string
	expires    time.Time
	supersede  time.Time // zero while the token is the latest
	graceUntil time.Time
}

type preAuthRec struct {
	component string
	expires   time.Time
	used      bool
}

type authCodeRec struct {
	component  string
	authorizer string
	expires    time.Time
	used       bool
}

type grantRec struct {
	component   string
	preAuthCode string
	redirectURI string
	categoryIDs []int
	allowed     map[string]bool
	expires     time.Time
}

type authorization struct {
	component  string
	appid      string
	funcIDs    []int
	authTime   time.Time
	refresh    string
	oldRefresh string
	oldUntil   time.Time
	exchanged  bool // api_query_auth was called since the last (re)authorization
	tokCur     string
	tokPrev    string
	options    map[string]string
}

type quotaCounter struct {
	period string
	used   int
}

type ridRec struct {
	owner        string
	invokeTime   time.Time
	costMs       int
	requestURL   string
	requestBody  string
	responseBody string
	clientIP     string
}

func authKey(component, authorizer string) string { return component + "/" + authorizer }

// New builds a simulator serving w (validated, defaults filled in).
func New(w World, opts Options) (*Sim, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("invalid world: %w", err)
	}
	if opts.Speed < 0 {
		return nil, fmt.Errorf("speed must not be negative, got %v", opts.Speed)
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
	g := &gen{rnd: &lockedReader{r: opts.Random}}
	g.prefix = fmt.Sprintf("%02d", 10+int(g.bytes(1)[0])%90)
	s := &Sim{
		clock:     newVClock(opts.Clock, opts.Speed),
		gen:       g,
		log:       opts.Logger,
		hc:        opts.HTTPClient,
		settings:  w.Settings.withDefaults(),
		accounts:  map[string]Account{},
		wake:      make(chan struct{}, 1),
		platforms: map[string]*platformState{},
		tokens:    map[string]*tokenRec{},
		preAuth:   map[string]*preAuthRec{},
		authCodes: map[string]*authCodeRec{},
		grants:    map[string]*grantRec{},
		auths:     map[string]*authorization{},
		quotas:    map[string]*quotaCounter{},
		clears:    map[string]*quotaCounter{},
		rids:      map[string]*ridRec{},
		frand:     g.seededRand(),
		stats:     newCounters(),
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	now := s.clock.Now()
	s.lastSweep = now
	for _, a := range w.Accounts {
		s.accounts[a.AppID] = a
		s.accOrder = append(s.accOrder, a.AppID)
	}
	for _, p := range w.Platforms {
		c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
		if err != nil {
			return nil, fmt.Errorf("platform %s: %w", p.ComponentAppID, err)
		}
		ps := &platformState{p: p, crypter: c, tickets: map[string]time.Time{}}
		ps.p.IPWhitelist = append([]string(nil), p.IPWhitelist...)
		for _, e := range p.IPWhitelist {
			pr, _ := parseIPEntry(e) // validated above
			ps.whitelist = append(ps.whitelist, pr)
		}
		s.newTicket(ps, now)
		s.platforms[p.ComponentAppID] = ps
		s.platOrder = append(s.platOrder, p.ComponentAppID)
	}
	return s, nil
}

// Close stops background pushes (authorization events, api_start_push_ticket) and waits for
// them. The handler keeps answering; Run stops with its own context.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.bgCancel()
	s.bg.Wait()
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
	for _, id := range s.platOrder {
		p := s.platforms[id].p
		p.IPWhitelist = append([]string{}, p.IPWhitelist...)
		w.Platforms = append(w.Platforms, p)
	}
	for _, id := range s.accOrder {
		w.Accounts = append(w.Accounts, s.accounts[id])
	}
	return w
}

// SetPlatformURLs sets where a platform's pushes go and its registered authorization domain
// (the demo learns its listener port at run time). A new event URL gets a ticket push
// promptly when Run is running.
func (s *Sim) SetPlatformURLs(componentAppID, eventURL, authDomain string) error {
	return s.updatePlatform(componentAppID, &eventURL, &authDomain, nil)
}

// SetIPWhitelist replaces a platform's IP whitelist (IPs or CIDR prefixes; empty allows all).
func (s *Sim) SetIPWhitelist(componentAppID string, list []string) error {
	if list == nil {
		list = []string{}
	}
	return s.updatePlatform(componentAppID, nil, nil, list)
}

func (s *Sim) updatePlatform(componentAppID string, eventURL, authDomain *string, whitelist []string) error {
	if eventURL != nil {
		if err := validateEventURL(*eventURL); err != nil {
			return fmt.Errorf("%w: event_url: %w", ErrBadRequest, err)
		}
	}
	if authDomain != nil {
		if err := validateAuthDomain(*authDomain); err != nil {
			return fmt.Errorf("%w: auth_domain: %w", ErrBadRequest, err)
		}
	}
	var prefixes []netip.Prefix
	for i, e := range whitelist {
		p, err := parseIPEntry(e)
		if err != nil {
			return fmt.Errorf("%w: ip_whitelist[%d]: %w", ErrBadRequest, i, err)
		}
		prefixes = append(prefixes, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.platforms[componentAppID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	if eventURL != nil {
		if *eventURL != ps.p.EventURL && *eventURL != "" {
			ps.nextPush = s.clock.Now() // WeChat starts pushing once the URL is set
			defer s.poke()
		}
		ps.p.EventURL = *eventURL
	}
	if authDomain != nil {
		ps.p.AuthDomain = *authDomain
	}
	if whitelist != nil {
		ps.p.IPWhitelist = append([]string{}, whitelist...)
		ps.whitelist = prefixes
	}
	return nil
}

// CurrentTicket is the platform's current component_verify_ticket ("" for an unknown
// platform).
func (s *Sim) CurrentTicket(componentAppID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ps, ok := s.platforms[componentAppID]; ok {
		return ps.ticket
	}
	return ""
}

// newTicket rotates the platform's ticket. Older tickets stay valid until their own TTL ends.
func (s *Sim) newTicket(ps *platformState, now time.Time) {
	ps.ticket = s.gen.ticket()
	ps.ticketIssued = now
	ps.ticketPushes = 0
	ps.tickets[ps.ticket] = now
}

// defaultPlatform resolves an empty component appid when the world has a single platform.
func (s *Sim) defaultPlatform(componentAppID string) string {
	if componentAppID == "" && len(s.platOrder) == 1 {
		return s.platOrder[0]
	}
	return componentAppID
}

// sweep forgets what can no longer matter, at most once a virtual minute: codes and grants
// long expired, tokens past their lifetime by a day, rids older than 7 days.
func (s *Sim) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	const keep = 7 * 24 * time.Hour
	for k, v := range s.preAuth {
		if now.Sub(v.expires) > keep {
			delete(s.preAuth, k)
		}
	}
	for k, v := range s.authCodes {
		if now.Sub(v.expires) > keep {
			delete(s.authCodes, k)
		}
	}
	for k, v := range s.grants {
		if now.After(v.expires) {
			delete(s.grants, k)
		}
	}
	for k, v := range s.tokens {
		if now.Sub(v.expires) > keep {
			delete(s.tokens, k)
		}
	}
	for _, ps := range s.platforms {
		for t, issued := range ps.tickets {
			if t != ps.ticket && now.Sub(issued) > s.settings.TicketTTL.D()+keep {
				delete(ps.tickets, t)
			}
		}
	}
	s.pruneRids(now)
}

const (
	ridRetention = 7 * 24 * time.Hour
	maxRids      = 100_000
)

func (s *Sim) pruneRids(now time.Time) {
	drop := 0
	for drop < len(s.ridQueue) {
		r, ok := s.rids[s.ridQueue[drop]]
		if ok && now.Sub(r.invokeTime) <= ridRetention && len(s.ridQueue)-drop <= maxRids {
			break
		}
		delete(s.rids, s.ridQueue[drop])
		drop++
	}
	s.ridQueue = s.ridQueue[drop:]
}

// sortedAuths lists a platform's authorizations by authorization time, then appid.
func (s *Sim) sortedAuths(component string) []*authorization {
	var out []*authorization
	for _, a := range s.auths {
		if a.component == component {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].authTime.Equal(out[j].authTime) {
			return out[i].authTime.Before(out[j].authTime)
		}
		return out[i].appid < out[j].appid
	})
	return out
}
