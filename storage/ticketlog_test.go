package storage_test

import (
	"context"
	"testing"
	"time"

	"wxauth/storage"
)

// A ticket's event is committed with it, once per distinct current value: not for a repeat;
// an older ticket gets its stale event instead, in the same transaction.
func TestSaveTicketLogsWithTheTicket(t *testing.T) {
	eachStore(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		save := func(ticket string, created time.Time, msg string) (bool, bool) {
			t.Helper()
			ev := storage.Event{At: t0, ComponentAppID: "wxc", Kind: "ticket_received", Level: "info", Message: msg}
			stale := storage.Event{At: t0, ComponentAppID: "wxc", Kind: "ticket_ignored", Level: "warn", Message: "stale " + msg}
			cur, rep, err := db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wxc", Ticket: ticket, CreateTime: created,
				ReceivedAt: t0, Source: "push", Log: &ev, StaleLog: &stale})
			if err != nil {
				t.Fatal(err)
			}
			return cur, rep
		}
		cases := []struct {
			ticket        string
			created       time.Time
			msg           string
			current, rept bool
		}{
			{"a", t0, "first a", true, false},
			{"a", t0.Add(time.Minute), "repeat a", true, true},
			{"old", t0.Add(-time.Hour), "older", false, false},
			{"b", t0.Add(10 * time.Minute), "first b", true, false},
		}
		for _, c := range cases {
			if cur, rep := save(c.ticket, c.created, c.msg); cur != c.current || rep != c.rept {
				t.Fatalf("%s: current %v repeat %v, want %v %v", c.msg, cur, rep, c.current, c.rept)
			}
		}
		evs, err := db.Events(ctx, "wxc", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Message)
		}
		if len(got) != 3 || got[0] != "first b" || got[1] != "stale older" || got[2] != "first a" {
			t.Fatalf("event log = %q, want the two distinct current values and the stale one", got)
		}
	})
}
