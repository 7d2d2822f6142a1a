package publish

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"wxauth/core/flow"
)

// A sink writes into one Redis. Changes are queued by credential (the newest value is read
// from the feed when written, so a burst of renewals costs one write); a failed write leaves
// them queued, and after any failure the next success is a full sync (a restarted Redis may
// have lost everything).
type sink struct {
	p      *Publisher
	cfg    flow.Sink
	layout layout
	rdb    *redis.Client
	apps   map[string]bool // the authorizers selected, nil = all
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	pending  map[flow.CredentialKey]time.Time // credential → when its change was noticed
	full     bool                             // sync every credential at the next write
	written  map[flow.CredentialKey][]string  // keys written per credential
	values   map[string]string                // key → the value this process wrote there
	stat     flow.SinkHealth
	ok       bool // the last command succeeded
	failures int
	syncs    int       // full syncs completed
	savedAt  time.Time // when the health was last stored
	dirty    bool      // health changed since last saved
}

func newSink(p *Publisher, cfg flow.Sink) (*sink, error) {
	f, err := ParseFormat(cfg.Format)
	if err != nil {
		return nil, err
	}
	rdb, err := newClient(cfg.URL)
	if err != nil {
		return nil, err
	}
	s := &sink{p: p, cfg: cfg, layout: layout{format: f, prefix: cfg.Prefix}, rdb: rdb, kick: make(chan struct{}, 1),
		done: make(chan struct{}), pending: map[flow.CredentialKey]time.Time{}, full: true,
		written: map[flow.CredentialKey][]string{}, values: map[string]string{}}
	if len(cfg.AppIDs) > 0 {
		s.apps = map[string]bool{}
		for _, a := range cfg.AppIDs {
			s.apps[a] = true
		}
	}
	return s, nil
}

// selects reports whether the sink publishes this credential at all.
func (s *sink) selects(k flow.CredentialKey) bool {
	if s.cfg.ComponentAppID != "" && k.ComponentAppID != s.cfg.ComponentAppID {
		return false
	}
	if k.AuthorizerAppID == "" {
		return s.cfg.Component
	}
	return s.cfg.Authorizers && (s.apps == nil || s.apps[k.AuthorizerAppID])
}

func (s *sink) enqueue(k flow.CredentialKey, at time.Time) {
	if !s.selects(k) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pending[k]; !ok {
		s.pending[k] = at
	}
}

// syncPlatform queues every credential of a platform (its lease was just taken).
func (s *sink) syncPlatform(comp string) {
	now := time.Now()
	for _, c := range s.p.feed.All() {
		if c.ComponentAppID == comp {
			s.enqueue(c.Key(), now)
		}
	}
	s.wake()
}

func (s *sink) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *sink) stop() {
	if s.cancel != nil {
		s.cancel()
	}
}

// run writes until ctx ends or the sink is removed.
func (s *sink) run(ctx context.Context) {
	defer close(s.done)
	defer s.rdb.Close()
	reconcile := time.NewTicker(s.p.opt.Reconcile)
	defer reconcile.Stop()
	health := time.NewTicker(s.p.opt.Health)
	defer health.Stop()
	var retry <-chan time.Time
	for {
		if err := s.flush(ctx); err != nil {
			retry = time.After(s.backoff())
		} else {
			retry = nil
		}
		select {
		case <-ctx.Done():
			s.saveHealth(context.WithoutCancel(ctx))
			return
		case <-s.kick:
		case <-retry:
		case <-reconcile.C:
			s.reconcile(ctx)
		case <-health.C:
			s.saveHealth(ctx)
		}
	}
}

// backoff is the wait before the next attempt after failures: 100 ms doubling to 5 s.
func (s *sink) backoff() time.Duration {
	s.mu.Lock()
	n := s.failures
	s.mu.Unlock()
	d := 100 * time.Millisecond << min(n, 6)
	return min(d, 5*time.Second)
}

// take empties the queue (everything when a full sync is due) and says when each was noticed.
func (s *sink) take() (map[flow.CredentialKey]time.Time, bool) {
	s.mu.Lock()
	full := s.full
	batch := s.pending
	s.pending = map[flow.CredentialKey]time.Time{}
	s.mu.Unlock()
	if full {
		now := time.Now()
		for _, c := range s.p.feed.All() {
			if _, ok := batch[c.Key()]; !ok && s.selects(c.Key()) {
				batch[c.Key()] = now
			}
		}
		// Credentials written before but gone from the feed: their keys go too.
		s.mu.Lock()
		for k := range s.written {
			if _, ok := batch[k]; !ok {
				batch[k] = now
			}
		}
		s.mu.Unlock()
	}
	return batch, full
}

// plan is the writes and deletions of one batch.
type plan struct {
	sets   []entry
	dels   []string
	keys   map[flow.CredentialKey][]string // keys each credential has after the batch
	oldest time.Time
}

// planBatch decides, for each credential, the keys to set and those to delete. Credentials of
// platforms whose lease this process does not hold are dropped: the holder writes them, and
// they are synced in full if the lease comes here.
func (s *sink) planBatch(batch map[flow.CredentialKey]time.Time) plan {
	now := s.p.eng.Now()
	pl := plan{keys: map[flow.CredentialKey][]string{}}
	for k, at := range batch {
		held, secret := s.p.holds(k.ComponentAppID)
		if !held {
			continue
		}
		if pl.oldest.IsZero() || at.Before(pl.oldest) {
			pl.oldest = at
		}
		s.mu.Lock()
		old := slices.Clone(s.written[k])
		s.mu.Unlock()
		var want []entry
		if c, ok := s.p.feed.Get(k.ComponentAppID, k.AuthorizerAppID); ok {
			if c.Usable(now) {
				want = s.layout.entries(c, secret, now)
			} else if key := s.layout.tokenKey(c, secret); !slices.Contains(old, key) {
				old = append(old, key) // written by an earlier run: a dead token's key goes
			}
		}
		var keys []string
		for _, e := range want {
			keys = append(keys, e.Key)
		}
		for _, key := range old {
			if !slices.Contains(keys, key) {
				pl.dels = append(pl.dels, key)
			}
		}
		pl.sets = append(pl.sets, want...)
		pl.keys[k] = keys
	}
	return pl
}

// flush writes what is queued, pipelined. On failure the batch goes back in the queue.
func (s *sink) flush(ctx context.Context) error {
	batch, full := s.take()
	if len(batch) == 0 {
		if full {
			s.mu.Lock()
			s.full = false
			s.syncs++
			s.mu.Unlock()
		}
		return nil
	}
	pl := s.planBatch(batch)
	err := s.exec(ctx, pl)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		for k, at := range batch {
			if prev, ok := s.pending[k]; !ok || at.Before(prev) {
				s.pending[k] = at
			}
		}
		s.full = true
		s.failed(err)
		return err
	}
	if full {
		s.syncs++
	}
	s.full = false
	for k, keys := range pl.keys {
		for _, key := range s.written[k] {
			if !slices.Contains(keys, key) {
				delete(s.values, key)
			}
		}
		if len(keys) == 0 {
			delete(s.written, k)
		} else {
			s.written[k] = keys
		}
	}
	for _, e := range pl.sets {
		s.values[e.Key] = e.Value
	}
	if len(pl.sets)+len(pl.dels) > 0 {
		now := time.Now()
		s.stat.LastWriteAt = now
		if !pl.oldest.IsZero() {
			s.stat.Lag = now.Sub(pl.oldest)
		}
	}
	s.succeeded()
	return nil
}

// pipelineChunk bounds one pipeline, so a full sync of many authorizers does not build one
// huge request.
const pipelineChunk = 2000

// exec sends the plan's commands in pipelines of pipelineChunk.
func (s *sink) exec(ctx context.Context, pl plan) error {
	type cmd func(redis.Pipeliner)
	var cmds []cmd
	for _, e := range pl.sets {
		cmds = append(cmds, func(p redis.Pipeliner) { p.Set(ctx, e.Key, e.Value, e.TTL) })
	}
	for _, key := range pl.dels {
		cmds = append(cmds, func(p redis.Pipeliner) { p.Del(ctx, key) })
	}
	for len(cmds) > 0 {
		n := min(len(cmds), pipelineChunk)
		chunk := cmds[:n]
		cmds = cmds[n:]
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, c := range chunk {
				c(p)
			}
			return nil
		}); err != nil {
			return wrapRedis(s.cfg.URL, "writing to", err)
		}
	}
	return nil
}

// failed and succeeded update the health; s.mu is held.
func (s *sink) failed(err error) {
	s.ok = false
	s.failures++
	s.stat.LastError, s.stat.LastErrorAt = err.Error(), time.Now()
	s.dirty = true
}

func (s *sink) succeeded() {
	s.ok = true
	s.failures = 0
	s.dirty = true // LastError stays, with its time: the health tells a recovered sink by LastWriteAt
}
