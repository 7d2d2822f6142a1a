package publish

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"wxauth/core/flow"
)

// Engine is what the publishers need from the engine (a *flow.Engine).
type Engine interface {
	Now() time.Time
	HoldsLease(ctx context.Context, componentAppID string) (bool, error)
	Platform(ctx context.Context, componentAppID string) (flow.Platform, error)
	Sinks(ctx context.Context) ([]flow.Sink, error)
	SaveSinkHealth(ctx context.Context, id int64, h flow.SinkHealth) error
	RecordForeignWriter(ctx context.Context, componentAppID, authorizerAppID, key, format string)
}

// Feed is the engine's token feed (a *flow.TokenFeed).
type Feed interface {
	Ready() <-chan struct{}
	All() []flow.Credential
	Get(componentAppID, authorizerAppID string) (flow.Credential, bool)
	Subscribe(buf int) (<-chan []flow.CredentialChange, func())
}

// Options tune a Publisher; zero values take the defaults.
type Options struct {
	Reconcile  time.Duration // full check-and-rewrite of every key (default 3 min)
	LeaseCheck time.Duration // how often lease ownership is re-read (default 1 s)
	SinkReload time.Duration // how often the sink list is re-read (default 5 s)
	Health     time.Duration // how often health is saved to the store (default 2 s)
	Logger     *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Reconcile, 3*time.Minute)
	def(&o.LeaseCheck, time.Second)
	def(&o.SinkReload, 5*time.Second)
	def(&o.Health, 2*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Publisher runs one writer per stored sink, for the platforms whose refresh lease this
// process holds.
type Publisher struct {
	eng  Engine
	feed Feed
	opt  Options

	mu      sync.Mutex
	held    map[string]bool   // platform → this process holds its lease
	secrets map[string]string // platform → AppSecret (PowerWeChat's component key)
	sinks   map[int64]*sink
}

// New builds a Publisher; Run starts it.
func New(eng Engine, feed Feed, opt Options) *Publisher {
	return &Publisher{eng: eng, feed: feed, opt: opt.withDefaults(), held: map[string]bool{},
		secrets: map[string]string{}, sinks: map[int64]*sink{}}
}

// Run publishes until ctx ends: it waits for the feed's first read, then follows the sinks in
// the store, the lease and the feed's changes.
func (p *Publisher) Run(ctx context.Context) error {
	changes, stop := p.feed.Subscribe(1024)
	defer stop()
	select {
	case <-ctx.Done():
		return nil
	case <-p.feed.Ready():
	}
	var wg sync.WaitGroup
	defer func() {
		p.mu.Lock()
		for id, s := range p.sinks {
			s.stop()
			delete(p.sinks, id)
		}
		p.mu.Unlock()
		wg.Wait()
	}()
	p.checkLeases(ctx)
	p.reloadSinks(ctx, &wg)
	leases := time.NewTicker(p.opt.LeaseCheck)
	defer leases.Stop()
	reload := time.NewTicker(p.opt.SinkReload)
	defer reload.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case batch, ok := <-changes:
			if !ok {
				return nil
			}
			p.fanOut(batch)
		case <-leases.C:
			p.checkLeases(ctx)
		case <-reload.C:
			p.reloadSinks(ctx, &wg)
		}
	}
}

// fanOut queues a change batch on every sink.
func (p *Publisher) fanOut(batch []flow.CredentialChange) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sinks {
		for _, c := range batch {
			s.enqueue(c.Key(), now)
		}
		s.wake()
	}
}

// checkLeases re-reads which platforms this process holds the lease of. A platform newly held
// is synced in full by every sink (another process wrote it until now).
func (p *Publisher) checkLeases(ctx context.Context) {
	platforms := map[string]bool{}
	for _, c := range p.feed.All() {
		platforms[c.ComponentAppID] = true
	}
	for comp := range platforms {
		held, err := p.eng.HoldsLease(ctx, comp)
		if err != nil {
			p.opt.Logger.Warn("publish: reading the lease failed", "component_appid", comp, "err", err)
			continue
		}
		secret := ""
		if held {
			if pl, err := p.eng.Platform(ctx, comp); err == nil {
				secret = pl.AppSecret
			}
		}
		p.mu.Lock()
		was := p.held[comp]
		p.held[comp], p.secrets[comp] = held, secret
		if held && !was {
			for _, s := range p.sinks {
				s.syncPlatform(comp)
			}
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	for comp := range p.held {
		if !platforms[comp] {
			delete(p.held, comp)
			delete(p.secrets, comp)
		}
	}
	p.mu.Unlock()
}

// holds reports whether this process publishes the platform, and its AppSecret.
func (p *Publisher) holds(comp string) (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held[comp], p.secrets[comp]
}

// reloadSinks starts a writer for each new sink and stops those of removed ones.
func (p *Publisher) reloadSinks(ctx context.Context, wg *sync.WaitGroup) {
	list, err := p.eng.Sinks(ctx)
	if err != nil {
		p.opt.Logger.Warn("publish: reading the sinks failed", "err", err)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[int64]bool{}
	for _, cfg := range list {
		seen[cfg.ID] = true
		if _, ok := p.sinks[cfg.ID]; ok {
			continue
		}
		s, err := newSink(p, cfg)
		if err != nil {
			p.opt.Logger.Warn("publish: sink not usable", "sink", cfg.ID, "err", err)
			continue
		}
		p.sinks[cfg.ID] = s
		sctx, cancel := context.WithCancel(ctx)
		s.cancel = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(sctx)
		}()
	}
	for id, s := range p.sinks {
		if !seen[id] {
			s.stop()
			delete(p.sinks, id)
		}
	}
}

// Health is one sink's state as this process sees it, for metrics.
type Health struct {
	SinkID    int64
	Format    Format
	URL       string // masked
	Connected bool   // the last command succeeded
	Syncs     int    // full syncs completed (at start, after a failure, at each reconcile)
	flow.SinkHealth
}

// Health reports every sink this process runs (for /metrics: the token service wires it).
func (p *Publisher) Health() []Health {
	p.mu.Lock()
	list := make([]*sink, 0, len(p.sinks))
	for _, s := range p.sinks {
		list = append(list, s)
	}
	p.mu.Unlock()
	out := make([]Health, 0, len(list))
	for _, s := range list {
		out = append(out, s.health())
	}
	return out
}

// Start runs a publisher on eng until ctx ends (serve and the console call it where they run
// the refresher), following feed, or a feed of its own when feed is nil (serve shares the token
// service's, so the store is followed once); wait returns once everything it started stopped.
func Start(ctx context.Context, eng *flow.Engine, feed *flow.TokenFeed, opt Options) (pub *Publisher, wait func()) {
	Silence()
	var wg sync.WaitGroup
	if feed == nil {
		feed = eng.NewTokenFeed(0)
		wg.Go(func() { _ = feed.Run(ctx) })
	}
	pub = New(eng, feed, opt)
	wg.Go(func() { _ = pub.Run(ctx) })
	return pub, wg.Wait
}
