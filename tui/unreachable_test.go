package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// TestStoreUnreachableKeepsTheDashboard: a snapshot that fails because the server database does
// not answer keeps the last data on screen and says since when the store is unreachable.
func TestStoreUnreachableKeepsTheDashboard(t *testing.T) {
	m := loaded(t, 120, 40, Options{})
	before := view(m)
	since := time.Date(2026, 11, 30, 9, 41, 5, 0, time.Local)
	send(m, snapshotMsg{componentAppID: testAppID, err: &storage.UnreachableError{Where: "mysql://wxauth@db/wxauth", Since: since, Err: errors.New("connection refused")}})
	after := view(m)
	if !strings.Contains(strings.Join(strings.Fields(after), " "), "store unreachable since 2026-11-30 09:41:05") {
		t.Fatalf("no word of the unreachable store:\n%s", after)
	}
	if !m.loaded || !strings.Contains(after, "wx8d5e2f7a1c3b9046") || !strings.Contains(before, "wx8d5e2f7a1c3b9046") {
		t.Fatalf("the dashboard was dropped:\n%s", after)
	}
}
