package tui

import (
	"fmt"
	"time"

	"wxauth/core/flow"
)

// heldNote counts, for the header, the credentials held in memory until the store answers.
func heldNote(h flow.StoreHealth) string {
	if len(h.Held) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d held)", len(h.Held))
}

// storeDownText is the status line while the store does not answer: since when, why, and what
// to do.
func storeDownText(h flow.StoreHealth, err error) string {
	since := h.Since
	if since.IsZero() {
		since, _ = flow.StoreUnreachable(err) // a server store's own "since", else now
	}
	return fmt.Sprintf("store unreachable since %s: %v; %s", since.Format(time.DateTime), err, flow.StoreHealth{}.Remedy())
}
