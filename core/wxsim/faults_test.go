package wxsim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

func TestFaultsObservedByClient(t *testing.T) {
	tests := []struct {
		name  string
		fault wxsim.Faults
		check func(t *testing.T, err error)
	}{
		{"system error", wxsim.Faults{ErrorRate: 1}, func(t *testing.T, err error) {
			we := wantCode(t, err, -1)
			if we.Message() != "system error" || we.Rid == "" || !wxapi.IsRetryable(err) {
				t.Errorf("-1: %+v", we)
			}
		}},
		{"chosen errcode", wxsim.Faults{ErrCode: 45009}, func(t *testing.T, err error) { wantCode(t, err, 45009) }},
		{"HTTP 502", wxsim.Faults{HTTPStatus: 502}, func(t *testing.T, err error) {
			var he *wxapi.HTTPError
			if !errors.As(err, &he) || he.StatusCode != 502 || !strings.Contains(he.Snippet, "502 Bad Gateway") {
				t.Errorf("err = %v, want an HTTP 502 with a gateway page", err)
			}
		}},
		{"dropped connection", wxsim.Faults{DropRate: 1}, func(t *testing.T, err error) {
			var te *wxapi.TransportError
			if !errors.As(err, &te) || te.Canceled {
				t.Errorf("err = %v, want a transport error", err)
			}
		}},
		{"malformed JSON", wxsim.Faults{MalformedRate: 1}, func(t *testing.T, err error) {
			var de *wxapi.DecodeError
			if !errors.As(err, &de) || !de.Truncated {
				t.Errorf("err = %v, want a truncated-JSON decode error", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.componentToken()
			tt.fault.Path = wxapi.PathCreatePreAuthCode
			e.sim.SetFaults(tt.fault)
			_, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID)
			tt.check(t, err)
			// Other paths are untouched.
			if _, err := e.client.ComponentToken(e.ctx, e.p.ComponentAppID, e.p.ComponentAppSecret, e.ticket()); err != nil {
				t.Errorf("unfaulted path: %v", err)
			}
			e.sim.ClearFaults()
			if _, err := e.client.CreatePreAuthCode(e.ctx, e.componentToken(), e.p.ComponentAppID); err != nil {
				t.Errorf("after ClearFaults: %v", err)
			}
			if e.sim.Stats().FaultsInjected != 1 {
				t.Errorf("faults_injected = %d", e.sim.Stats().FaultsInjected)
			}
		})
	}
}

func TestFaultRulesMatchLongestPrefix(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	e.sim.SetFaults(wxsim.Faults{Path: "", ErrCode: -1})                         // every API
	e.sim.SetFaults(wxsim.Faults{Path: wxapi.PathCreatePreAuthCode, ErrCode: 0}) // a rule that does nothing
	if _, err := e.client.CreatePreAuthCode(e.ctx, tok, e.p.ComponentAppID); err != nil {
		t.Errorf("the longer rule must win: %v", err)
	}
	_, err := e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 10)
	wantCode(t, err, -1)
	// Pages and the control API are never faulted.
	if st := e.sim.Stats(); st.Calls == nil {
		t.Error("stats unavailable under faults")
	}
	if len(e.sim.FaultRules()) != 2 {
		t.Errorf("rules %+v", e.sim.FaultRules())
	}
	e.sim.SetFaults(wxsim.Faults{Path: "", ErrCode: 40001}) // replaces the rule with the same path
	if len(e.sim.FaultRules()) != 2 {
		t.Errorf("rules %+v", e.sim.FaultRules())
	}
	_, err = e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 10)
	wantCode(t, err, 40001)
}

func TestFaultRateIsDeterministic(t *testing.T) {
	count := func() int {
		e := newEnv(t, nil)
		tok := e.componentToken()
		e.sim.SetFaults(wxsim.Faults{Path: wxapi.PathGetAuthorizerList, ErrorRate: 0.3})
		failures := 0
		for i := 0; i < 200; i++ {
			if _, err := e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 10); err != nil {
				wantCode(t, err, -1)
				failures++
			}
		}
		return failures
	}
	a, b := count(), count()
	if a != b {
		t.Errorf("same seed, different fault draws: %d vs %d", a, b)
	}
	if a < 30 || a > 90 {
		t.Errorf("%d failures out of 200 at rate 0.3", a)
	}
}

func TestFaultLatency(t *testing.T) {
	e := newEnv(t, nil)
	e.sim.SetFaults(wxsim.Faults{Path: wxapi.PathComponentToken, Latency: wxsim.Duration(100 * time.Millisecond)})
	begin := time.Now()
	e.componentToken()
	if d := time.Since(begin); d < 100*time.Millisecond {
		t.Errorf("answered after %v, latency 100ms", d)
	}
}

func TestFaultsValidate(t *testing.T) {
	bad := []wxsim.Faults{
		{Path: "cgi-bin"},
		{Path: "/sim/stats", ErrorRate: 1},
		{HTTPStatus: 200},
		{ErrorRate: 1.5},
		{DropRate: -0.1},
		{Latency: wxsim.Duration(-time.Second)},
	}
	for _, f := range bad {
		if f.Validate() == nil {
			t.Errorf("%+v validated", f)
		}
	}
	if err := (wxsim.Faults{Path: "/cgi-bin/", ErrorRate: 0.5, ErrCode: -1, Latency: wxsim.Duration(time.Second)}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestFaultMix: one rule mixes every kind of failure, each at about its rate, and delays only
// a fraction of the calls; FaultsByKind counts each kind the client saw.
func TestFaultMix(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.componentToken()
	e.sim.SetFaults(wxsim.Faults{Path: wxapi.PathGetAuthorizerList, ErrorRate: 0.2, HTTPRate: 0.1, HTTPStatus: 503,
		DropRate: 0.1, MalformedRate: 0.1, Latency: wxsim.Duration(time.Millisecond), LatencyRate: 0.1})
	const calls = 600
	seen := map[string]int{}
	for i := 0; i < calls; i++ {
		_, err := e.client.GetAuthorizerList(e.ctx, tok, e.p.ComponentAppID, 0, 10)
		var (
			he *wxapi.HTTPError
			te *wxapi.TransportError
			de *wxapi.DecodeError
		)
		switch {
		case err == nil:
			seen["ok"]++
		case errors.As(err, &he) && he.StatusCode == 503:
			seen[wxsim.FaultHTTP]++
		case errors.As(err, &te):
			seen[wxsim.FaultDrop]++
		case errors.As(err, &de) && de.Truncated:
			seen[wxsim.FaultMalformed]++
		case wxapi.ErrCode(err) == -1:
			seen[wxsim.FaultErrCode]++
		default:
			t.Fatalf("unexpected failure: %v", err)
		}
	}
	st := e.sim.Stats()
	// Drawn in order drop, HTTP, errcode, malformed: expected shares 10%, 9%, 16.2%, 6.5%.
	want := map[string]float64{wxsim.FaultDrop: 0.1, wxsim.FaultHTTP: 0.09, wxsim.FaultErrCode: 0.162, wxsim.FaultMalformed: 0.065}
	for kind, share := range want {
		if got := float64(seen[kind]) / calls; got < share/2 || got > share*2 {
			t.Errorf("%s: %d of %d calls, want about %.0f%%", kind, seen[kind], calls, share*100)
		}
		if st.FaultsByKind[kind] != int64(seen[kind]) {
			t.Errorf("%s: stats count %d, the client saw %d", kind, st.FaultsByKind[kind], seen[kind])
		}
	}
	if n := st.FaultsByKind[wxsim.FaultLatency]; n < calls/20 || n > calls/5 {
		t.Errorf("%d delayed calls of %d at latency_rate 0.1", n, calls)
	}
	if err := (wxsim.Faults{HTTPRate: 1.5}).Validate(); err == nil {
		t.Error("http_rate 1.5 validated")
	}
	if err := (wxsim.Faults{LatencyRate: -1}).Validate(); err == nil {
		t.Error("latency_rate -1 validated")
	}
}
