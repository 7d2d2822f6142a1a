package tui

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestHeaderShowsStoreOutage: while the store does not answer, the header says since when and
// how many credentials are held, the status line says what to do; the next answered read
// clears both.
func TestHeaderShowsStoreOutage(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	since := time.Date(2026, 11, 30, 14, 3, 5, 0, time.UTC)
	down := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	send(m, snapshotMsg{componentAppID: testAppID, err: down, store: flow.StoreHealth{Since: since, Err: down.Error(),
		Held: []flow.HeldCredential{{ComponentAppID: testAppID, AuthorizerAppID: "wx1", What: "grant", Since: since}}}})
	got := view(m)
	for _, want := range []string{"store unreachable since 14:03:05 (1 held)", "store unreachable since 2026-11-30 14:03:05", "check that the database is up"} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
			t.Errorf("view lacks %q:\n%s", want, got)
		}
	}
	send(m, snapshotMsg{componentAppID: testAppID, snap: fixtureSnapshot(fixtureAuthorizers()), events: fixtureEvents(),
		store: flow.StoreHealth{Reachable: true}})
	if got := view(m); strings.Contains(got, "store unreachable since 14:03:05") {
		t.Errorf("the header still shows the outage once the store answered:\n%s", got)
	}
}
