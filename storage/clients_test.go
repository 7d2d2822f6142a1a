package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"wxauth/storage"
)

// TestTokenClients: add (names unique), list, rotate, remove, and reads added in batches with
// the day's count restarting on a new day and never going back to an older one.
func TestTokenClients(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		at := time.UnixMilli(1_800_000_000_000)
		c := storage.TokenClient{Name: "svc", ComponentAppID: "wx3f9a6c21b5d7e08c", AppIDs: []string{"wx8d5e2f7a1c3b9046", "wx2c7b1e9f0a4d6835"},
			Component: true, KeyHash: "aa", CreatedAt: at}
		if err := db.AddClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := db.AddClient(ctx, c); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("second add: %v", err)
		}
		if err := db.RotateClientKey(ctx, "svc", "bb", at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RotateClientKey(ctx, "ghost", "bb", at); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("rotate ghost: %v", err)
		}
		uses := []struct {
			day   string
			reads int64
			want  int64
		}{{"2027-01-15", 3, 3}, {"2027-01-15", 2, 5}, {"2027-01-16", 4, 4}, {"2027-01-15", 9, 4}}
		for i, u := range uses {
			if err := db.RecordClientUse(ctx, []storage.ClientUse{{Name: "svc", LastAt: at.Add(time.Duration(i) * time.Hour), Day: u.day, Reads: u.reads},
				{Name: "removed-meanwhile", LastAt: at, Day: u.day, Reads: 1}}); err != nil {
				t.Fatal(err)
			}
			got, err := db.Client(ctx, "svc")
			if err != nil {
				t.Fatal(err)
			}
			if got.Reads != u.want {
				t.Errorf("after batch %d: reads %d (day %s), want %d", i, got.Reads, got.ReadsDay, u.want)
			}
		}
		list, err := db.Clients(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		got := list[0]
		if got.KeyHash != "bb" || len(got.AppIDs) != 2 || !got.Component || !got.CreatedAt.Equal(at) || !got.RotatedAt.Equal(at.Add(time.Minute)) ||
			got.ReadsDay != "2027-01-16" || !got.LastUsedAt.Equal(at.Add(2*time.Hour)) {
			t.Fatalf("stored client: %+v", got)
		}
		if err := db.RemoveClient(ctx, "svc"); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveClient(ctx, "svc"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("second remove: %v", err)
		}
	})
}
