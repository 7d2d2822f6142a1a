package flow

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"wxauth/storage"
)

// The client directory: the token service's clients held in memory, so a request is
// authenticated without reading the database, and followed from the store, so a key rotated or
// a client removed by another process (`wxauth client rotate` while `serve` runs) stops working
// within ClientPoll. Reads are counted in memory and written in batches.

// ClientPoll is how often the directory re-reads the clients; clientFlushEvery how often it
// writes the counted reads.
const (
	ClientPoll       = 500 * time.Millisecond
	clientFlushEvery = 5 * time.Second
)

// ClientDirectory authenticates keys and counts reads.
type ClientDirectory struct {
	e     *Engine
	every time.Duration

	mu      sync.RWMutex
	clients []Client
	ready   chan struct{}
	loaded  bool

	useMu sync.Mutex
	uses  map[string]storage.ClientUse // by name, for the day in it
}

// NewClientDirectory builds a directory that re-reads the clients every `every` (ClientPoll
// when zero) once Run starts.
func (e *Engine) NewClientDirectory(every time.Duration) *ClientDirectory {
	if every <= 0 {
		every = ClientPoll
	}
	return &ClientDirectory{e: e, every: every, ready: make(chan struct{}), uses: map[string]storage.ClientUse{}}
}

// Run follows the clients until ctx ends, then writes the reads still counted. A failed read
// keeps the last known clients (a database hiccup must not lock every client out).
func (d *ClientDirectory) Run(ctx context.Context) error {
	events, stop := d.e.Subscribe(16)
	defer stop()
	tick := time.NewTicker(d.every)
	defer tick.Stop()
	lastFlush := time.Now()
	for {
		if err := d.Reload(ctx); err != nil && ctx.Err() == nil {
			d.e.log.Warn("token service: reading the clients failed; keeping the last known ones", "err", err)
		}
		if time.Since(lastFlush) >= clientFlushEvery {
			lastFlush = time.Now()
			if err := d.Flush(ctx); err != nil && ctx.Err() == nil {
				d.e.log.Warn("token service: recording client reads failed; retrying", "err", err)
			}
		}
		if err := d.wait(ctx, tick.C, &events); err != nil {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			return d.Flush(fctx)
		}
	}
}

// wait returns at the next tick or client change (other events are skipped), or with ctx's
// error when it ends.
func (d *ClientDirectory) wait(ctx context.Context, tick <-chan time.Time, events *<-chan Event) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			return nil
		case ev, ok := <-*events:
			if !ok {
				*events = nil
			} else if ev.Kind == EventClientChanged {
				return nil
			}
		}
	}
}

// Ready is closed once the clients have been read once.
func (d *ClientDirectory) Ready() <-chan struct{} { return d.ready }

// Reload reads the clients now.
func (d *ClientDirectory) Reload(ctx context.Context) error {
	rows, err := d.e.db.Clients(ctx)
	if err != nil {
		return fmt.Errorf("token service clients: %w", err)
	}
	cs := each(rows, clientOf)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clients = cs
	if !d.loaded {
		d.loaded = true
		close(d.ready)
	}
	return nil
}

// Authenticate returns the client whose key this is. The key's hash is compared with every
// client's in constant time, and all of them are compared, so the time taken tells nothing
// about which (or how much of a) key matched.
func (d *ClientDirectory) Authenticate(key string) (Client, bool) {
	if !strings.HasPrefix(key, ClientKeyPrefix) {
		return Client{}, false
	}
	sum := sha256.Sum256([]byte(key))
	d.mu.RLock()
	defer d.mu.RUnlock()
	var found Client
	match := 0
	for _, c := range d.clients {
		if subtle.ConstantTimeCompare(sum[:], c.keyHash[:]) == 1 {
			found, match = c, 1
		}
	}
	return found, match == 1
}

// NoteRead counts one read by the named client, written at the next flush.
func (d *ClientDirectory) NoteRead(name string) {
	now := d.e.clock.Now()
	day := QuotaDay(now)
	d.useMu.Lock()
	defer d.useMu.Unlock()
	u := d.uses[name]
	if u.Day != day && u.Reads > 0 {
		// A new day began since the last flush: keep yesterday's under another key.
		d.uses[name+"\x00"+u.Day] = u
		u = storage.ClientUse{}
	}
	u.Name, u.Day, u.LastAt = name, day, now
	u.Reads++
	d.uses[name] = u
}

// Flush writes the counted reads in one transaction; they are kept for the next try if it fails.
func (d *ClientDirectory) Flush(ctx context.Context) error {
	d.useMu.Lock()
	batch := make([]storage.ClientUse, 0, len(d.uses))
	for _, u := range d.uses {
		batch = append(batch, u)
	}
	clear(d.uses)
	d.useMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	// Older days first, so a later day's batch restarts the count after them.
	slices.SortFunc(batch, func(a, b storage.ClientUse) int { return strings.Compare(a.Day, b.Day) })
	if err := d.e.db.RecordClientUse(ctx, batch); err != nil {
		d.useMu.Lock()
		for _, u := range batch {
			k := u.Name
			if cur, ok := d.uses[k]; ok {
				if cur.Day != u.Day {
					k += "\x00" + u.Day
				} else {
					u.Reads += cur.Reads
					u.LastAt = cur.LastAt
				}
			}
			d.uses[k] = u
		}
		d.useMu.Unlock()
		return fmt.Errorf("recording token-service client reads: %w", err)
	}
	return nil
}
