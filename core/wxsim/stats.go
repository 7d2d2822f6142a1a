package wxsim

import (
	"maps"
	"time"
)

// counters are the simulator's statistics, guarded by Sim.mu.
type counters struct {
	calls            map[string]int64
	errors           map[string]int64
	componentTokens  int64
	authorizerTokens int64
	preAuthCodes     int64
	authCodes        int64
	authorizations   int64
	reauthorizations int64
	revocations      int64
	pushesSent       int64
	pushesFailed     int64
	pushesSkipped    int64
	pushesByType     map[string]int64
	faults           int64
	faultsByKind     map[string]int64
	recent           []PushRecord
	lastPushError    string
}

func newCounters() counters {
	return counters{calls: map[string]int64{}, errors: map[string]int64{}, pushesByType: map[string]int64{}, faultsByKind: map[string]int64{}}
}

func (c *counters) recordPush(r PushRecord) {
	c.pushesSent++
	c.pushesByType[r.InfoType]++
	if !r.OK {
		c.pushesFailed++
		c.lastPushError = r.InfoType + ": " + r.Error
	}
	c.recent = append(c.recent, r)
	if len(c.recent) > recentPushes {
		c.recent = c.recent[len(c.recent)-recentPushes:]
	}
}

// Stats is a snapshot of what the simulator has done (GET /sim/stats).
type Stats struct {
	Now time.Time `json:"now"` // virtual time
	// Calls counts requests per endpoint: API names ("api_component_token",
	// "account/getaccountbasicinfo") and pages ("componentloginpage", …), faulted ones included.
	Calls map[string]int64 `json:"calls"`
	// Errors counts error answers per errcode.
	Errors                 map[string]int64 `json:"errors"`
	ComponentTokensMinted  int64            `json:"component_tokens_minted"`
	AuthorizerTokensMinted int64            `json:"authorizer_tokens_minted"`
	PreAuthCodesIssued     int64            `json:"pre_auth_codes_issued"`
	AuthCodesIssued        int64            `json:"auth_codes_issued"`
	Authorizations         int64            `json:"authorizations"`
	Reauthorizations       int64            `json:"reauthorizations"`
	Revocations            int64            `json:"revocations"`
	ActiveAuthorizations   int              `json:"active_authorizations"`
	// PushesSent counts every push POSTed (failed ones included); PushesFailed those not
	// answered "success" in time; PushesSkipped those with no event URL to go to.
	PushesSent     int64            `json:"pushes_sent"`
	PushesFailed   int64            `json:"pushes_failed"`
	PushesSkipped  int64            `json:"pushes_skipped"`
	PushesByType   map[string]int64 `json:"pushes_by_type"`
	LastPushError  string           `json:"last_push_error,omitempty"`
	RecentPushes   []PushRecord     `json:"recent_pushes"`
	FaultsInjected int64            `json:"faults_injected"`
	// FaultsByKind splits them: "drop", "http", "errcode", "malformed", "latency" (a delayed
	// call that also failed counts under both).
	FaultsByKind map[string]int64 `json:"faults_by_kind"`
}

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.stats
	return Stats{
		Now:                    s.clock.Now().UTC(),
		Calls:                  maps.Clone(c.calls),
		Errors:                 maps.Clone(c.errors),
		ComponentTokensMinted:  c.componentTokens,
		AuthorizerTokensMinted: c.authorizerTokens,
		PreAuthCodesIssued:     c.preAuthCodes,
		AuthCodesIssued:        c.authCodes,
		Authorizations:         c.authorizations,
		Reauthorizations:       c.reauthorizations,
		Revocations:            c.revocations,
		ActiveAuthorizations:   len(s.authorizations),
		PushesSent:             c.pushesSent,
		PushesFailed:           c.pushesFailed,
		PushesSkipped:          c.pushesSkipped,
		PushesByType:           maps.Clone(c.pushesByType),
		LastPushError:          c.lastPushError,
		RecentPushes:           append([]PushRecord{}, c.recent...),
		FaultsInjected:         c.faults,
		FaultsByKind:           maps.Clone(c.faultsByKind),
	}
}
