package tokenapi_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestTokenAPILoad measures the token API against the loopback limit: in one run, with the same
// generator (64 keep-alive clients), token GETs through the API and GETs of a bare net/http
// handler returning a constant JSON body of the same size; then the p99 latency of both at a
// steady 2,000 requests/s. Figures only, no assertion: run it with
//
//	WXAUTH_LOAD=1 go test -run TestTokenAPILoad -v ./core/tokenapi
func TestTokenAPILoad(t *testing.T) {
	if os.Getenv("WXAUTH_LOAD") != "1" {
		t.Skip("a load measurement: set WXAUTH_LOAD=1")
	}
	e := newEnv(t)
	_, key := e.client(t, flow.ClientSpec{Name: "load"})
	apiURL := e.url + "/v1/token/" + e.a
	_, body := e.do(t, "GET", "/v1/token/"+e.a, key, nil)
	bareURL := bareServer(t, []byte(body))

	const clients = 64
	span := 5 * time.Second
	if d, err := time.ParseDuration(os.Getenv("WXAUTH_LOAD_SPAN")); err == nil {
		span = d
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	warm := func(url, key string) { _ = closedLoop(e.ctx, hc, url, key, clients, time.Second) }
	warm(bareURL, "")
	warm(apiURL, key)
	// The machine's load drifts (a shared 2-core box): the two targets take turns in slices of
	// half a second, so both see the same conditions.
	var bare, api loadResult
	var bareLat, apiLat []time.Duration
	const slice = 500 * time.Millisecond
	for range int(span / slice) {
		bare.add(closedLoop(e.ctx, hc, bareURL, "", clients, slice))
		api.add(closedLoop(e.ctx, hc, apiURL, key, clients, slice))
	}
	for range int(span / slice) {
		bareLat = append(bareLat, openLoop(e.ctx, hc, bareURL, "", 2000, slice, &bare.errors)...)
		apiLat = append(apiLat, openLoop(e.ctx, hc, apiURL, key, 2000, slice, &api.errors)...)
	}
	br, ar := bare.rate(), api.rate()
	t.Logf("closed loop, %d keep-alive clients, %s each in alternating %s slices: bare handler %.0f req/s, token API %.0f req/s, ratio %.2f",
		clients, span, slice, br, ar, ar/br)
	t.Logf("steady 2000 req/s, %s each: p50/p99 bare %s/%s, token API %s/%s (errors %d/%d)", span,
		pct(bareLat, 50), pct(bareLat, 99), pct(apiLat, 50), pct(apiLat, 99), bare.errors, api.errors)
	if out, err := exec.Command("uptime").Output(); err == nil {
		t.Logf("uptime: %s", strings.TrimSpace(string(out)))
	}
}

func bareServer(t *testing.T, body []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/v1/token/x"
}

type loadResult struct {
	ok, errors int64
	took       time.Duration
}

func (r *loadResult) add(o loadResult) { r.ok += o.ok; r.errors += o.errors; r.took += o.took }
func (r loadResult) rate() float64     { return float64(r.ok) / r.took.Seconds() }

func pct(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Microsecond)
}

func fetch(ctx context.Context, hc *http.Client, url, key string) bool {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// closedLoop runs n clients back to back for span and counts the answers.
func closedLoop(ctx context.Context, hc *http.Client, url, key string, n int, span time.Duration) loadResult {
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	stop := began.Add(span)
	for range n {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if fetch(ctx, hc, url, key) {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return loadResult{ok: ok.Load(), errors: bad.Load(), took: time.Since(began)}
}

// openLoop sends rate requests a second for span, each timed from when it was due (so a
// stalled server shows in the latency, not in a lower rate), and returns the latencies.
func openLoop(ctx context.Context, hc *http.Client, url, key string, rate int, span time.Duration, errors *int64) []time.Duration {
	total := int(span.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, total)
	var bad atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int, total)
	began := time.Now()
	for range 64 {
		wg.Go(func() {
			for i := range jobs {
				due := began.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				if !fetch(ctx, hc, url, key) {
					bad.Add(1)
				}
				lat[i] = time.Since(due)
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	*errors += bad.Load()
	return lat
}
