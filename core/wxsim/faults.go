package wxsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Faults inject failures into the API answers whose path starts with Path ("" is every API
// path; the /sim/ control API and the pages are never affected). When several rules match,
// the one with the longest Path wins. One rule can mix every kind of failure: each call is
// dropped, or answered with HTTPStatus, or with ErrCode, or truncated (drawn in that order),
// and independently delayed.
type Faults struct {
	Path string `json:"path"`
	// ErrorRate is the fraction of calls that fail: with ErrCode (default -1 "system error")
	// in a normal 200 answer, or, when HTTPStatus is set and HTTPRate is not, with that status
	// and a gateway page. Left at 0 while ErrCode or HTTPStatus is set, it means every call.
	ErrorRate  float64 `json:"error_rate"`
	ErrCode    int     `json:"errcode"`
	HTTPStatus int     `json:"http_status"`
	// HTTPRate is the fraction of calls answered with HTTPStatus (default 502), drawn apart
	// from ErrorRate so that one rule mixes gateway failures with errcode answers.
	HTTPRate float64 `json:"http_rate"`
	// Latency delays matching answers (real time): every one, or a LatencyRate fraction of
	// them (spikes).
	Latency     Duration `json:"latency"`
	LatencyRate float64  `json:"latency_rate"`
	// DropRate is the fraction of calls whose connection is closed without an answer.
	DropRate float64 `json:"drop_rate"`
	// MalformedRate is the fraction of answers cut in half (truncated JSON).
	MalformedRate float64 `json:"malformed_rate"`
}

// Validate checks the ranges.
func (f Faults) Validate() error {
	switch {
	case f.Path != "" && !strings.HasPrefix(f.Path, "/"):
		return fmt.Errorf("path: must be empty (every API) or start with /, got %q", clip(f.Path, 80))
	case f.Path == "/sim" || strings.HasPrefix(f.Path, "/sim/"):
		return errors.New("path: the /sim/ control API cannot be faulted")
	case f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599):
		return fmt.Errorf("http_status: must be 4xx or 5xx, got %d", f.HTTPStatus)
	case f.Latency < 0 || f.Latency.D() > 5*time.Minute:
		return fmt.Errorf("latency: must be between 0 and 5m, got %v", f.Latency)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", f.ErrorRate}, {"http_rate", f.HTTPRate}, {"latency_rate", f.LatencyRate}, {"drop_rate", f.DropRate}, {"malformed_rate", f.MalformedRate}} {
		if r.v < 0 || r.v > 1 || r.v != r.v {
			return fmt.Errorf("%s: must be between 0 and 1, got %v", r.name, r.v)
		}
	}
	return nil
}

func (f Faults) errorRate() float64 {
	if f.ErrorRate == 0 && (f.ErrCode != 0 || (f.HTTPStatus != 0 && f.HTTPRate == 0)) {
		return 1
	}
	return f.ErrorRate
}

// httpStatus is the status of gateway failures drawn by HTTPRate.
func (f Faults) httpStatus() int {
	if f.HTTPStatus == 0 {
		return http.StatusBadGateway
	}
	return f.HTTPStatus
}

func clamp01(v float64) float64 {
	if v != v || v < 0 {
		return 0
	}
	return min(v, 1)
}

// SetFaults adds a fault rule, replacing the rule with the same Path. Out-of-range values are
// clamped (the control API rejects them instead).
func (s *Sim) SetFaults(f Faults) {
	f.ErrorRate, f.DropRate, f.MalformedRate = clamp01(f.ErrorRate), clamp01(f.DropRate), clamp01(f.MalformedRate)
	f.HTTPRate, f.LatencyRate = clamp01(f.HTTPRate), clamp01(f.LatencyRate)
	if f.Latency < 0 {
		f.Latency = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		if s.faults[i].Path == f.Path {
			s.faults[i] = f
			return
		}
	}
	s.faults = append(s.faults, f)
}

// ClearFaults removes every fault rule.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// FaultRules lists the fault rules in force.
func (s *Sim) FaultRules() []Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Faults{}, s.faults...)
}

// Kinds of injected fault, as counted in Stats.FaultsByKind.
const (
	FaultDrop      = "drop"
	FaultHTTP      = "http"
	FaultErrCode   = "errcode"
	FaultMalformed = "malformed"
	FaultLatency   = "latency"
)

// faultDraw is what happens to one call.
type faultDraw struct {
	latency    time.Duration
	drop       bool
	errcode    int
	httpStatus int
	malformed  bool
}

// drawFault decides the fate of a call, with s.mu held (the generator is not thread safe).
func (s *Sim) drawFault(path string) faultDraw {
	var rule *Faults
	for i := range s.faults {
		f := &s.faults[i]
		if strings.HasPrefix(path, f.Path) && (rule == nil || len(f.Path) > len(rule.Path)) {
			rule = f
		}
	}
	var d faultDraw
	if rule == nil {
		return d
	}
	if rule.Latency > 0 && (rule.LatencyRate == 0 || s.faultRand.Float64() < rule.LatencyRate) {
		d.latency = rule.Latency.D()
	}
	switch {
	case rule.DropRate > 0 && s.faultRand.Float64() < rule.DropRate:
		d.drop = true
	case rule.HTTPRate > 0 && s.faultRand.Float64() < rule.HTTPRate:
		d.httpStatus = rule.httpStatus()
	case rule.errorRate() > 0 && s.faultRand.Float64() < rule.errorRate():
		if rule.HTTPStatus != 0 && rule.HTTPRate == 0 {
			d.httpStatus = rule.HTTPStatus
		} else if d.errcode = rule.ErrCode; d.errcode == 0 {
			d.errcode = -1
		}
	case rule.MalformedRate > 0 && s.faultRand.Float64() < rule.MalformedRate:
		d.malformed = true
	}
	if d.drop || d.errcode != 0 || d.httpStatus != 0 || d.malformed || d.latency > 0 {
		s.stats.faults++
	}
	count := func(hit bool, kind string) {
		if hit {
			s.stats.faultsByKind[kind]++
		}
	}
	count(d.drop, FaultDrop)
	count(d.httpStatus != 0, FaultHTTP)
	count(d.errcode != 0, FaultErrCode)
	count(d.malformed, FaultMalformed)
	count(d.latency > 0, FaultLatency)
	return d
}

// dropConnection closes the connection without answering.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection (or resets the stream)
}

// writeGatewayPage answers like an nginx in front of the API.
func writeGatewayPage(w http.ResponseWriter, status int) {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	body := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
