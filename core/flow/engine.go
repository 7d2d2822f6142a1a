// Package flow is wxauth's engine: one per process, shared by the console, the headless
// commands and the daemon. It derives each platform's state from storage and the clock, runs
// authorization sessions, handles pushes, refreshes credentials under a database lease and
// tells subscribers what happened. None of the faces talks to WeChat or SQL directly.
package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"wxauth/core/refresh"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/storage"
)

// Clock tells the time; tests and the simulator inject their own.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Config is what an Engine is built from. Only Store is required.
type Config struct {
	Store       Store
	Clock       Clock
	HTTPClient  *http.Client
	Logger      *slog.Logger
	Holder      string                 // lease holder id; default host:pid:random (holder.go)
	OpenBrowser func(url string) error // default: the system browser, output silenced
	Policy      refresh.Policy
	LeaseTTL    time.Duration // default 60 s; 15 s on a store shared by several hosts
	// Host names this host in lease holders (default: the hostname and PID namespace). Hosts
	// sharing a server database must have distinct names: a dead holder is recognised by its
	// pid only on its own host.
	Host   string
	Random io.Reader // session ids; default crypto/rand
	// ExchangeTimeout bounds one background code exchange (default 2 min); an exchange still
	// unfinished well past it was left by a stopped process and is resumed by the refresher.
	ExchangeTimeout time.Duration
	// NoReleaseResponder turns off the 全网发布 answers to the official test accounts (on by
	// default: they only ever concern those ten accounts).
	NoReleaseResponder bool
	// HeldDeadline bounds how long Close keeps trying to store credentials held in memory
	// while the store is unreachable (default 15 s, a minute when a grant or a recovered refresh token is held); whatever is still held is then named in
	// the log as lost.
	HeldDeadline time.Duration
}

// Engine runs the flow for every platform in one database.
type Engine struct {
	db              Store
	clock           Clock
	hc              *http.Client
	log             *slog.Logger
	holder          string
	host            string        // this host in lease holders (see holder.go)
	deadGrace       time.Duration // deadHolderGrace; tests shorten it
	browser         func(string) error
	policy          refresh.Policy
	leaseTTL        time.Duration
	random          io.Reader
	exchangeTimeout time.Duration
	noResponder     bool

	mu       sync.Mutex
	subs     map[int]chan Event
	nextSub  int
	crypters map[string]*wxcrypt.Crypter // by component appid: pushes are checked without touching the database
	warned   map[string]time.Time        // last stale-ticket warning per platform
	locks    map[string]*sync.Mutex      // per platform: the lease is per process, this is per goroutine
	blocked  map[string]block            // per platform: background refresh paused by a platform-wide error
	leading  map[string]bool             // platforms this engine refreshes in the background (holds the lease)
	// leased names the leases this engine ever asked for: Close releases only those (a
	// command that never refreshed, like `wxauth token`, writes nothing when it exits).
	leased   map[string]bool
	deadSeen map[string]time.Time // lease holders found dead, and since when (holder.go)
	bg       sync.WaitGroup       // background exchanges started by pushes
	kick     chan struct{}        // wakes the refresher early (a first ticket arrived)

	// The store going away (storehealth.go, held.go, keeper.go).
	raw          Store          // the store as given; db is it seen through watch
	watch        *storeWatch    // is the store answering?
	held         *heldQueue     // credentials WeChat gave that the store did not take yet
	keepers      sync.WaitGroup // the keeper writing them
	closing      chan struct{}
	closeOnce    sync.Once
	heldDeadline time.Duration
	// givenOnceDeadline replaces heldDeadline when a grant or recovered refresh token is held.
	givenOnceDeadline time.Duration
}

// New builds an Engine.
func New(cfg Config) *Engine {
	e := &Engine{
		db: cfg.Store, clock: cfg.Clock, hc: cfg.HTTPClient, log: cfg.Logger, holder: cfg.Holder,
		browser: cfg.OpenBrowser, policy: cfg.Policy.WithDefaults(), leaseTTL: cfg.LeaseTTL, random: cfg.Random, noResponder: cfg.NoReleaseResponder,
		subs: map[int]chan Event{}, crypters: map[string]*wxcrypt.Crypter{}, warned: map[string]time.Time{}, locks: map[string]*sync.Mutex{}, blocked: map[string]block{}, leading: map[string]bool{}, leased: map[string]bool{}, deadSeen: map[string]time.Time{}, deadGrace: deadHolderGrace,
		kick: make(chan struct{}, 1),
	}
	if e.clock == nil {
		e.clock = realClock{}
	}
	if e.hc == nil {
		e.hc = &http.Client{Timeout: 15 * time.Second}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.watchStore(cfg)
	if e.random == nil {
		e.random = rand.Reader
	}
	if e.host = cfg.Host; e.host == "" {
		e.host = localHost()
	}
	if e.holder == "" {
		e.holder = defaultHolder(e.host, e.randomID(4))
	}
	if e.browser == nil {
		e.browser = openBrowser
	}
	if e.exchangeTimeout = cfg.ExchangeTimeout; e.exchangeTimeout == 0 {
		e.exchangeTimeout = 2 * time.Minute
	}
	if e.leaseTTL == 0 {
		e.leaseTTL = 60 * time.Second
		// On a server store a holder on another host that died is only found out by its lease
		// running out: keep that short (renewed every third of it while the holder lives).
		if s, ok := cfg.Store.(interface{ Shared() bool }); ok && s.Shared() {
			e.leaseTTL = sharedLeaseTTL
		}
	}
	return e
}

// Close waits for background work (code exchanges started by pushes), for credentials held
// while the store was unreachable (a short deadline, HeldDeadline), and hands the refresh
// leases over, so another process can take over at once instead of after the lease TTL.
func (e *Engine) Close() {
	e.bg.Wait()
	e.settleHeld(e.heldDeadline)
	e.keepers.Wait()
	e.releaseLeases()
}

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.clock.Now() }

func (e *Engine) randomID(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(e.random, b); err != nil {
		panic(fmt.Sprintf("random source failed: %v", err)) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// platformLock serialises refresh work of one platform inside this process; the database
// lease does the same across processes.
func (e *Engine) platformLock(componentAppID string) *sync.Mutex {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.locks[componentAppID]
	if !ok {
		l = &sync.Mutex{}
		e.locks[componentAppID] = l
	}
	return l
}

// Subscribe returns a channel of events and a function to stop receiving them. A subscriber
// that does not keep up loses events rather than stalling the engine.
func (e *Engine) Subscribe(buf int) (<-chan Event, func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.nextSub
	e.nextSub++
	ch := make(chan Event, buf)
	e.subs[id] = ch
	return ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if c, ok := e.subs[id]; ok {
			delete(e.subs, id)
			close(c)
		}
	}
}

// emit records an event in the audit log and hands it to subscribers.
func (e *Engine) emit(ctx context.Context, ev Event) {
	ev, row := e.eventRow(ev)
	if !e.logInPass(ctx, row) { // a refresher pass writes its events in batches (pass.go)
		if err := e.db.AppendEvent(context.WithoutCancel(ctx), row); err != nil {
			e.log.Error("event log append failed", "err", err)
		}
	}
	e.notify(ctx, ev)
}

// eventRow completes ev (its time and level) and gives its row in the event log.
func (e *Engine) eventRow(ev Event) (Event, storage.Event) {
	if ev.At.IsZero() {
		ev.At = e.clock.Now()
	}
	if ev.Level == "" {
		ev.Level = LevelInfo
	}
	return ev, storage.Event{At: ev.At, ComponentAppID: ev.ComponentAppID, AuthorizerAppID: ev.AuthorizerAppID,
		Kind: string(ev.Kind), Level: ev.Level, Code: ev.Code, Message: ev.Text()}
}

// notify logs an event and hands it to subscribers without storing it.
func (e *Engine) notify(ctx context.Context, ev Event) {
	if ev.At.IsZero() {
		ev.At = e.clock.Now()
	}
	if ev.Level == "" {
		ev.Level = LevelInfo
	}
	level := slog.LevelInfo
	switch ev.Level {
	case LevelWarn:
		level = slog.LevelWarn
	case LevelError:
		level = slog.LevelError
	}
	e.log.Log(ctx, level, ev.Message, "kind", ev.Kind, "component_appid", ev.ComponentAppID,
		"authorizer_appid", ev.AuthorizerAppID, "code", ev.Code)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ch := range e.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// errorEvent turns an error into an event with the WeChat or crypto explanation and remedy.
func errorEvent(kind EventKind, componentAppID, authorizerAppID, what string, err error) Event {
	ev := Event{Kind: kind, Level: LevelError, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
		Message: what + ": " + err.Error()}
	var we *wxapi.Error
	var ce *wxcrypt.Error
	var ue *UserError
	switch {
	case errors.As(err, &we):
		info := we.Info()
		ev.Code = we.ErrCode
		ev.Message = fmt.Sprintf("%s: %d %s", what, we.ErrCode, info.Meaning)
		if we.Rid != "" {
			ev.Message += " (rid " + we.Rid + ")"
		}
		ev.Remedy = info.Remedy
		if we.ErrCode == wxapi.CodeQuotaExhausted {
			ev.Remedy += " With wxauth: `wxauth quota clear`."
		}
	case errors.As(err, &ce):
		ev.Code = ce.Code
	case errors.As(err, &ue):
		ev.Message = what + ": " + ue.Msg
		ev.Remedy = ue.Remedy
		ev.Level = LevelWarn
	}
	return ev
}

// UserError is a failure only the user can fix (no ticket yet, re-authorization needed, IP not
// whitelisted…). Faces show Msg and Remedy; the CLI exits 3.
type UserError struct {
	Msg    string
	Remedy string
	Err    error
}

func (e *UserError) Error() string {
	s := e.Msg
	if e.Remedy != "" {
		s += "\n  what to do: " + e.Remedy
	}
	return s
}

func (e *UserError) Unwrap() error { return e.Err }

// NeedsUser reports whether err is something only the user can fix, including WeChat errors of
// that kind (IP whitelist, bad secret, quota).
func NeedsUser(err error) bool {
	var ue *UserError
	if errors.As(err, &ue) {
		return true
	}
	var re *RenewalError
	if errors.As(err, &re) {
		return re.needsUser
	}
	info, ok := wxapi.Class(err)
	return ok && info.NeedsUser
}
