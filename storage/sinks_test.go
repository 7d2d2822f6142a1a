package storage_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"wxauth/storage"
)

// Sinks round-trip with their selection and reported health; a missing id is ErrNotFound.
func TestSinks(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		want := storage.Sink{URL: "redis://:pw@h:6379/1", Format: "wxjava", Prefix: "wx:open", ComponentAppID: "wxc",
			AppIDs: []string{"wxa", "wxb"}, Component: false, Authorizers: true, CreatedAt: t0}
		id, err := db.AddSink(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		want.ID = id
		if _, err := db.AddSink(ctx, storage.Sink{URL: "redis://h:1/0", Format: "silenceper", Component: true, Authorizers: true, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Sink(ctx, id)
		if err != nil || !reflect.DeepEqual(utc(got), want) {
			t.Fatalf("Sink = %+v, %v\nwant %+v", got, err, want)
		}
		h := storage.SinkHealth{At: t0.Add(time.Minute), Writer: "host:1:ab", LastWriteAt: t0, LagMillis: 12, Pending: 3, Keys: 40,
			LastError: "writing to Redis: refused", LastErrorAt: t0.Add(time.Second), ForeignKey: "k", ForeignAt: t0}
		if err := db.SaveSinkHealth(ctx, id, h); err != nil {
			t.Fatal(err)
		}
		all, err := db.Sinks(ctx)
		if err != nil || len(all) != 2 || all[0].ID != id || !reflect.DeepEqual(utc(all[0]).Health, h) || all[1].AppIDs != nil {
			t.Fatalf("Sinks = %+v, %v", all, err)
		}
		if err := db.RemoveSink(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Sink(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("removed sink: %v", err)
		}
		if err := db.RemoveSink(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("removing it again: %v", err)
		}
	})
}

// utc puts a read sink's times in UTC (they come back in the local zone) for comparison.
func utc(s storage.Sink) storage.Sink {
	s.CreatedAt = s.CreatedAt.UTC()
	h := &s.Health
	for _, t := range []*time.Time{&h.At, &h.LastWriteAt, &h.LastErrorAt, &h.ForeignAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return s
}
