package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxauth/storage"
)

// Sinks: the Redis targets core/publish writes tokens into. The engine keeps them (and the
// health the publishing process reports) in the store, and records the events the publishers
// raise; it knows nothing of Redis.

// EventForeignWriter: a key wxauth publishes held a value wxauth did not write, so another
// program refreshed the token on its own.
const EventForeignWriter EventKind = "foreign_writer"

// SinkStore keeps the sinks and their reported health.
type SinkStore interface {
	AddSink(ctx context.Context, s storage.Sink) (int64, error)
	Sinks(ctx context.Context) ([]storage.Sink, error)
	Sink(ctx context.Context, id int64) (storage.Sink, error)
	RemoveSink(ctx context.Context, id int64) error
	SaveSinkHealth(ctx context.Context, id int64, h storage.SinkHealth) error
}

// Sink is one Redis target. URL holds the Redis password: never print it unmasked.
type Sink struct {
	ID             int64
	URL            string
	Format         string
	Prefix         string
	ComponentAppID string   // "" = every platform
	AppIDs         []string // empty = every authorizer
	Component      bool     // publish the component token
	Authorizers    bool     // publish authorizer tokens (those in AppIDs, or all)
	CreatedAt      time.Time
	Health         SinkHealth
}

// SinkHealth is what the publishing process last reported about a sink.
type SinkHealth struct {
	At          time.Time // when it was reported (zero: no process has published to it yet)
	Writer      string    // the reporting process (the refresh lease holder)
	LastWriteAt time.Time
	Lag         time.Duration // change noticed → written, for the last write (or the oldest waiting)
	Pending     int           // credentials waiting to be written
	Keys        int           // keys currently written
	LastError   string        // empty once a write succeeds again
	LastErrorAt time.Time
	ForeignKey  string // the last key found overwritten by another program
	ForeignAt   time.Time
}

func sinkOf(r storage.Sink) Sink {
	h := r.Health
	return Sink{ID: r.ID, URL: r.URL, Format: r.Format, Prefix: r.Prefix, ComponentAppID: r.ComponentAppID,
		AppIDs: r.AppIDs, Component: r.Component, Authorizers: r.Authorizers, CreatedAt: r.CreatedAt,
		Health: SinkHealth{At: h.At, Writer: h.Writer, LastWriteAt: h.LastWriteAt, Lag: time.Duration(h.LagMillis) * time.Millisecond,
			Pending: h.Pending, Keys: h.Keys, LastError: h.LastError, LastErrorAt: h.LastErrorAt, ForeignKey: h.ForeignKey, ForeignAt: h.ForeignAt}}
}

// AddSink stores a sink (validated by the caller, core/publish) and returns it with its id.
func (e *Engine) AddSink(ctx context.Context, s Sink) (Sink, error) {
	if s.ComponentAppID != "" {
		if _, err := e.Platform(ctx, s.ComponentAppID); err != nil {
			return Sink{}, err
		}
	}
	s.CreatedAt = e.clock.Now()
	id, err := e.db.AddSink(ctx, storage.Sink{URL: s.URL, Format: s.Format, Prefix: s.Prefix, ComponentAppID: s.ComponentAppID,
		AppIDs: s.AppIDs, Component: s.Component, Authorizers: s.Authorizers, CreatedAt: s.CreatedAt})
	s.ID = id
	return s, err
}

// Sinks returns every sink with its last reported health.
func (e *Engine) Sinks(ctx context.Context) ([]Sink, error) {
	rows, err := e.db.Sinks(ctx)
	return each(rows, sinkOf), err
}

// Sink returns one sink.
func (e *Engine) Sink(ctx context.Context, id int64) (Sink, error) {
	r, err := e.db.Sink(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Sink{}, &UserError{Msg: fmt.Sprintf("no sink %d", id), Remedy: "list them with `wxauth publish list`", Err: err}
	}
	return sinkOf(r), err
}

// RemoveSink deletes a sink. The keys already written stay until their TTL ends.
func (e *Engine) RemoveSink(ctx context.Context, id int64) error {
	err := e.db.RemoveSink(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return &UserError{Msg: fmt.Sprintf("no sink %d", id), Remedy: "list them with `wxauth publish list`", Err: err}
	}
	return err
}

// SaveSinkHealth records a publisher's report on a sink, stamped with this process as writer.
func (e *Engine) SaveSinkHealth(ctx context.Context, id int64, h SinkHealth) error {
	return e.db.SaveSinkHealth(ctx, id, storage.SinkHealth{At: h.At, Writer: e.holder, LastWriteAt: h.LastWriteAt,
		LagMillis: h.Lag.Milliseconds(), Pending: h.Pending, Keys: h.Keys, LastError: h.LastError, LastErrorAt: h.LastErrorAt,
		ForeignKey: h.ForeignKey, ForeignAt: h.ForeignAt})
}

// RecordForeignWriter logs (and tells subscribers) that a published key held a value wxauth did
// not write: another program refreshes that token on its own and the two will keep
// invalidating each other's tokens. The publisher writes the current token back.
func (e *Engine) RecordForeignWriter(ctx context.Context, componentAppID, authorizerAppID, key, format string) {
	what := "the component token"
	if authorizerAppID != "" {
		what = "the token of " + authorizerAppID
	}
	e.emit(ctx, Event{Kind: EventForeignWriter, Level: LevelWarn, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
		Message: fmt.Sprintf("Redis key %s (%s format) held a value wxauth did not write: another program refreshed %s on its own; wxauth wrote the current token back",
			Printable(key), format, what),
		Remedy: "stop that program's own refresher (let its SDK only read the key), or remove this sink with `wxauth publish remove`"})
}
