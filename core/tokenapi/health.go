package tokenapi

import (
	"context"
	"net/http"
	"time"

	"wxauth/core/flow"
)

// healthz says the process is alive; it touches nothing.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// platformHealth is one platform in /readyz: its state and side states, no secrets.
type platformHealth struct {
	ComponentAppID string   `json:"component_appid"`
	State          string   `json:"state"`
	Side           []string `json:"side,omitempty"`
	Authorizers    int      `json:"authorizers"`
	Healthy        int      `json:"healthy"`
	LeaseHeld      bool     `json:"lease_held"`
}

// readyz is 200 when the store answers and the tokens and clients have been read, with each
// platform's state; 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.feed.Ready():
	default:
		writeError(w, http.StatusServiceUnavailable, "starting", "the tokens have not been read yet", "retry in a second")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	ps, err := s.eng.Platforms(ctx)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_unreachable", "the database does not answer: "+err.Error(),
			"check the database (`wxauth doctor`) and the serve log")
		return
	}
	out := []platformHealth{}
	for _, p := range ps {
		snap, err := s.eng.Snapshot(ctx, p.ComponentAppID)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "store_unreachable", "reading platform "+p.ComponentAppID+": "+err.Error(),
				"check the database (`wxauth doctor`) and the serve log")
			return
		}
		held, _ := s.eng.HoldsLease(ctx, p.ComponentAppID)
		out = append(out, platformHealth{ComponentAppID: p.ComponentAppID, State: string(snap.State), Side: sides(snap.Side),
			Authorizers: len(snap.Authorizers), Healthy: snap.Healthy, LeaseHeld: held})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "platforms": out})
}

func sides(ss []flow.State) []string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return out
}
