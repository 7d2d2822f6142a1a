package publish

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/redis/go-redis/v9"

	"wxauth/core/flow"
)

// reconcile reads back every key this process wrote. A key holding another value means another
// program wrote it (its SDK refreshed on its own): that is recorded as an event. Then every
// key is written again (a full sync), which also restores keys deleted or lost by a restart.
func (s *sink) reconcile(ctx context.Context) {
	s.mu.Lock()
	values := maps.Clone(s.values)
	owner := map[string]flow.CredentialKey{}
	for k, keys := range s.written {
		for _, key := range keys {
			owner[key] = k
		}
	}
	s.mu.Unlock()
	var keys []string
	for key := range values {
		if held, _ := s.p.holds(owner[key].ComponentAppID); held {
			keys = append(keys, key)
		}
	}
	found, err := s.readBack(ctx, keys)
	if err != nil {
		s.mu.Lock()
		s.failed(err)
		s.mu.Unlock()
	}
	for key, got := range found {
		k := owner[key]
		want := values[key]
		if got == want || s.sameToken(got, want, k.AuthorizerAppID == "") {
			continue
		}
		s.p.eng.RecordForeignWriter(ctx, k.ComponentAppID, k.AuthorizerAppID, key, string(s.layout.format))
		s.mu.Lock()
		s.stat.ForeignKey, s.stat.ForeignAt = key, time.Now()
		s.dirty = true
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.full = true
	s.mu.Unlock()
	s.wake()
}

// sameToken reports whether two values of a key carry the same token as the SDK reads it (an
// SDK that rewrote the token wxauth wrote, in its own encoding, is no foreign writer).
func (s *sink) sameToken(got, want string, component bool) bool {
	a, okA := s.layout.tokenOf(got, component)
	b, okB := s.layout.tokenOf(want, component)
	return okA && okB && a == b
}

// readBack GETs keys, pipelined; missing keys are left out of the result.
func (s *sink) readBack(ctx context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for len(keys) > 0 {
		n := min(len(keys), pipelineChunk)
		chunk := keys[:n]
		keys = keys[n:]
		cmds := make([]*redis.StringCmd, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, key := range chunk {
				cmds[i] = p.Get(ctx, key)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return out, wrapRedis(s.cfg.URL, "reading back from", err)
		}
		for i, c := range cmds {
			if v, err := c.Result(); err == nil {
				out[chunk[i]] = v
			}
		}
	}
	return out, nil
}

// health is the sink's current state.
func (s *sink) health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.stat
	h.Pending = len(s.pending)
	h.Keys = len(s.values)
	if oldest := oldestOf(s.pending); !oldest.IsZero() && time.Since(oldest) > h.Lag {
		h.Lag = time.Since(oldest)
	}
	return Health{SinkID: s.cfg.ID, Format: s.layout.format, URL: MaskURL(s.cfg.URL), Connected: s.ok, Syncs: s.syncs, SinkHealth: h}
}

func oldestOf(m map[flow.CredentialKey]time.Time) time.Time {
	var oldest time.Time
	for _, t := range m {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	return oldest
}

// saveHealth stores the health for `status` and `publish list` of any process, when this
// process publishes at least one platform of the sink (a process that writes nothing must not
// overwrite the report of the one that does).
func (s *sink) saveHealth(ctx context.Context) {
	if !s.publishesAny() {
		return
	}
	s.mu.Lock()
	// Saved when something changed, and at least every healthBeat: the report's age is how
	// readers tell a running publisher from a stopped one.
	due := s.dirty || len(s.pending) > 0 || time.Since(s.savedAt) >= healthBeat
	s.dirty = false
	if due {
		s.savedAt = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	h := s.health().SinkHealth
	h.At = s.p.eng.Now()
	if err := s.p.eng.SaveSinkHealth(ctx, s.cfg.ID, h); err != nil {
		s.p.opt.Logger.Warn("publish: saving sink health failed", "sink", s.cfg.ID, "err", err)
	}
}

// healthBeat is the longest a publishing process goes without reporting (State calls a report
// older than staleAfter stale).
const healthBeat = 20 * time.Second

// publishesAny reports whether this process holds the lease of a platform the sink covers.
func (s *sink) publishesAny() bool {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for comp, held := range s.p.held {
		if held && (s.cfg.ComponentAppID == "" || s.cfg.ComponentAppID == comp) {
			return true
		}
	}
	return false
}

// wrapRedis describes a Redis failure without the URL's password.
func wrapRedis(raw, doing string, err error) error {
	return errors.New(doing + " Redis " + MaskURL(raw) + ": " + scrub(err.Error(), raw))
}
