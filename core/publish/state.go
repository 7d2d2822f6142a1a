package publish

import (
	"time"

	"wxauth/core/flow"
)

// Sink states, from the health the publishing process stores.
const (
	StateWaiting = "waiting" // no process has published to the sink yet
	StateFailing = "failing" // the last attempt failed (Redis down, wrong password…)
	StateStale   = "stale"   // its publisher stopped reporting (no lease holder runs)
	StateOK      = "ok"
)

// staleAfter: a publisher reports at least every few seconds while it holds the lease.
const staleAfter = time.Minute

// State summarises a sink's stored health at now.
func State(now time.Time, h flow.SinkHealth) string {
	switch {
	case h.At.IsZero():
		return StateWaiting
	case !h.LastErrorAt.IsZero() && h.LastErrorAt.After(h.LastWriteAt):
		return StateFailing
	case now.Sub(h.At) > staleAfter:
		return StateStale
	}
	return StateOK
}

// ForeignRemedy is what to do when another program writes a published key.
const ForeignRemedy = "stop that program's own refresher (its SDK should only read the key); wxauth wrote the current token back"
