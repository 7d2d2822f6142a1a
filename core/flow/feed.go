package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"wxauth/storage"
)

// The change feed: the current token of every credential, held in memory and followed from
// the store, for the consumers that hand tokens to other programs (the token service, the
// Redis publishers). It follows the store rather than this process's events alone, so a token
// renewed by another process sharing the database reaches them within one poll; this process's
// own events wake it at once.

// Credential is one token as the feed's consumers see it.
type Credential struct {
	ComponentAppID  string
	AuthorizerAppID string // "" for the component token
	Token           string
	ObtainedAt      time.Time
	ExpiresAt       time.Time
	Status          AuthorizerStatus // authorizers only
	RefreshToken    string           // authorizers only: PowerWeChat derives its cache key from it
	Ticket          string           // component only: PowerWeChat derives its cache key from it
}

// IsComponent reports whether this is the platform's component token.
func (c Credential) IsComponent() bool { return c.AuthorizerAppID == "" }

// Usable reports whether the token may be handed out at now: present, unexpired, and (for an
// authorizer) not revoked or waiting for the merchant to authorize again.
func (c Credential) Usable(now time.Time) bool {
	if c.Token == "" || !c.ExpiresAt.After(now) {
		return false
	}
	return c.IsComponent() || (c.Status != AuthorizerRevoked && c.Status != AuthorizerNeedsReauth)
}

// CredentialKey names a credential: the component token has an empty AuthorizerAppID.
type CredentialKey struct{ ComponentAppID, AuthorizerAppID string }

// Key is the credential's name in the feed.
func (c Credential) Key() CredentialKey { return CredentialKey{c.ComponentAppID, c.AuthorizerAppID} }

// CredentialChange is one credential that changed; Removed means it is gone (platform or account removed).
type CredentialChange struct {
	Credential
	Removed bool
}

// Feed timing: a poll every FeedPoll picks up other processes' renewals; a full read every
// feedFullEvery notices removed rows; feedSlack re-reads rows stamped a little before the
// newest seen, so a commit stamped earlier but landed later (or by a host whose clock lags) is
// not missed.
const (
	FeedPoll      = 500 * time.Millisecond
	feedFullEvery = 30 * time.Second
	feedSlack     = 2 * time.Minute
)

// TokenFeed holds the current credentials and tells subscribers what changed.
type TokenFeed struct {
	e     *Engine
	every time.Duration

	mu     sync.RWMutex
	creds  map[CredentialKey]Credential
	cursor map[string]time.Time // per platform: newest authorizer updated_at seen
	subs   map[int]chan []CredentialChange
	nextID int
	ready  chan struct{}
	loaded bool
}

// NewTokenFeed builds a feed that polls the store every `every` (FeedPoll when zero) once Run
// starts.
func (e *Engine) NewTokenFeed(every time.Duration) *TokenFeed {
	if every <= 0 {
		every = FeedPoll
	}
	return &TokenFeed{e: e, every: every, creds: map[CredentialKey]Credential{}, cursor: map[string]time.Time{},
		subs: map[int]chan []CredentialChange{}, ready: make(chan struct{})}
}

// Run follows the store until ctx ends. A failed poll is retried at the next tick; the last
// known tokens stay served meanwhile (each still carries its expiry).
func (f *TokenFeed) Run(ctx context.Context) error {
	events, stop := f.e.Subscribe(64)
	defer stop()
	tick := time.NewTicker(f.every)
	defer tick.Stop()
	lastFull := time.Time{}
	for {
		full := time.Since(lastFull) >= feedFullEvery
		if err := f.Poll(ctx, full); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			f.e.log.Warn("token feed: reading the store failed; serving the last known tokens", "err", err)
			f.applyHeld()
		} else if full {
			lastFull = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		}
	}
}

// Ready is closed once the first full read has completed.
func (f *TokenFeed) Ready() <-chan struct{} { return f.ready }

// Get returns the credential named by componentAppID and authorizerAppID ("" for the
// component token).
func (f *TokenFeed) Get(componentAppID, authorizerAppID string) (Credential, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	c, ok := f.creds[CredentialKey{componentAppID, authorizerAppID}]
	return c, ok
}

// All returns every credential the feed holds, in no particular order.
func (f *TokenFeed) All() []Credential {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Credential, 0, len(f.creds))
	for _, c := range f.creds {
		out = append(out, c)
	}
	return out
}

// Subscribe returns a channel of change batches and a function to stop receiving them. A
// subscriber that falls behind loses batches rather than stalling the feed: consumers
// reconcile from All periodically.
func (f *TokenFeed) Subscribe(buf int) (<-chan []CredentialChange, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	ch := make(chan []CredentialChange, buf)
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.subs[id]; ok {
			delete(f.subs, id)
			close(c)
		}
	}
}

// Poll reads the store once (every authorizer when full, else those changed lately) and
// publishes what changed.
func (f *TokenFeed) Poll(ctx context.Context, full bool) error {
	ps, err := f.e.db.Platforms(ctx)
	if err != nil {
		return fmt.Errorf("token feed: %w", err)
	}
	seen := map[CredentialKey]bool{}
	var fresh []Credential
	cursors := map[string]time.Time{}
	for _, p := range ps {
		creds, cursor, err := f.readPlatform(ctx, p.ComponentAppID, full)
		if err != nil {
			return err
		}
		cursors[p.ComponentAppID] = cursor
		for _, c := range creds {
			seen[c.Key()] = true
		}
		fresh = append(fresh, creds...)
	}
	f.apply(f.withHeld(fresh), seen, cursors, full)
	return nil
}

// readPlatform reads one platform's component token and its authorizers changed since the
// cursor (all of them when full), returning them and the new cursor.
func (f *TokenFeed) readPlatform(ctx context.Context, componentAppID string, full bool) ([]Credential, time.Time, error) {
	var out []Credential
	tok, err := f.e.loadComponentToken(ctx, componentAppID)
	if err == nil {
		c := Credential{ComponentAppID: componentAppID, Token: tok.Token, ObtainedAt: tok.ObtainedAt, ExpiresAt: tok.ExpiresAt}
		if t, terr := f.e.loadTicket(ctx, componentAppID); terr == nil {
			c.Ticket = t.Value
		}
		out = append(out, c)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, time.Time{}, fmt.Errorf("token feed: %w", err)
	}
	f.mu.RLock()
	cursor, known := f.cursor[componentAppID]
	f.mu.RUnlock()
	var rows []Authorizer
	if full || !known {
		rows, err = f.e.loadAuthorizers(ctx, componentAppID)
	} else {
		var raw []storage.Authorizer
		raw, err = f.e.db.AuthorizersUpdatedSince(ctx, componentAppID, cursor.Add(-feedSlack))
		rows = each(raw, authorizerOf)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("token feed: %w", err)
	}
	for _, a := range rows {
		if a.UpdatedAt.After(cursor) {
			cursor = a.UpdatedAt
		}
		out = append(out, Credential{ComponentAppID: componentAppID, AuthorizerAppID: a.AppID, Token: a.AccessToken,
			ObtainedAt: a.AccessObtainedAt, ExpiresAt: a.AccessExpiresAt, Status: a.Status, RefreshToken: a.RefreshToken})
	}
	return out, cursor, nil
}

// apply stores what was read and hands the differences to subscribers. Only a full read can
// tell that a credential is gone.
func (f *TokenFeed) apply(fresh []Credential, seen map[CredentialKey]bool, cursors map[string]time.Time, full bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var changes []CredentialChange
	for _, c := range fresh {
		if old, ok := f.creds[c.Key()]; !ok || old != c {
			changes = append(changes, CredentialChange{Credential: c})
			f.creds[c.Key()] = c
		}
	}
	for k, c := range f.creds {
		// The component token is read on every poll; an authorizer only on a full one.
		_, platformKept := cursors[k.ComponentAppID]
		if !platformKept || (!seen[k] && (full || k.AuthorizerAppID == "")) {
			changes = append(changes, CredentialChange{Credential: c, Removed: true})
			delete(f.creds, k)
		}
	}
	for k := range f.cursor {
		if _, ok := cursors[k]; !ok {
			delete(f.cursor, k)
		}
	}
	for k, v := range cursors {
		f.cursor[k] = v
	}
	if full && !f.loaded {
		f.loaded = true
		close(f.ready)
	}
	if len(changes) == 0 {
		return
	}
	for _, ch := range f.subs {
		select {
		case ch <- changes:
		default:
		}
	}
}
