package callback_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The load generator of the listener tests: open loop at a steady rate, or closed loop with a
// fixed number of workers, always bounded by a count and a duration.

// shot is one request to send: built fresh each time (bodies are read once).
type shot struct {
	url  string
	body []byte
}

func (s shot) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err == nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	return req, err
}

// loadResult is what a run measured.
type loadResult struct {
	Sent      int
	Codes     map[int]int
	Errors    int
	FirstErr  error
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
}

func (r loadResult) Rate() float64 { return float64(r.Sent) / r.Elapsed.Seconds() }

func (r loadResult) Pct(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies)-1) * p)
	return r.Latencies[i]
}

func (r loadResult) Max() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[len(r.Latencies)-1]
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f/s), codes %v, errors %d, latency p50 %v p99 %v max %v",
		r.Sent, r.Elapsed.Round(time.Millisecond), r.Rate(), r.Codes, r.Errors,
		r.Pct(0.50).Round(time.Microsecond), r.Pct(0.99).Round(time.Microsecond), r.Max().Round(time.Microsecond))
}

// newLoadClient keeps conns connections alive to the target, like a real sender would.
func newLoadClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}}
}

type collector struct {
	mu  sync.Mutex
	res loadResult
}

func (c *collector) add(code int, lat time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res.Sent++
	if err != nil {
		c.res.Errors++
		if c.res.FirstErr == nil {
			c.res.FirstErr = err
		}
		return
	}
	c.res.Codes[code]++
	c.res.Latencies = append(c.res.Latencies, lat)
}

// send does one request and reads the whole answer; check sees the answer before the
// request counts as done (e.g. to confirm a push was committed).
func send(ctx context.Context, client *http.Client, s shot, check func(code int, body string) error) (int, error) {
	req, err := s.request(ctx)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, err
	}
	if check != nil {
		if err := check(resp.StatusCode, string(body)); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// steady sends count requests at rate per second (open loop), at most inflight at once, and
// stops early at maxDur. Latency runs from each request's scheduled start, so a stalled server
// shows up in the figures instead of slowing the generator down (no coordinated omission).
// check runs after the latency is taken.
func steady(ctx context.Context, client *http.Client, rate float64, count, inflight int, maxDur time.Duration,
	next func(i int) shot, check func(i, code int, body string) error) loadResult {
	c := &collector{res: loadResult{Codes: map[int]int{}}}
	sem := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < count; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) > maxDur || ctx.Err() != nil {
			break
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var lat time.Duration
			code, err := send(ctx, client, next(i), func(code int, body string) error {
				lat = time.Since(at)
				if check != nil {
					return check(i, code, body)
				}
				return nil
			})
			c.add(code, lat, err)
		}()
	}
	wg.Wait()
	c.res.Elapsed = time.Since(start)
	slices.Sort(c.res.Latencies)
	return c.res
}

// closedLoop runs workers that send back to back until count requests or maxDur.
func closedLoop(ctx context.Context, client *http.Client, workers, count int, maxDur time.Duration, next func(i int) shot) loadResult {
	c := &collector{res: loadResult{Codes: map[int]int{}}}
	var mu sync.Mutex
	issued := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if issued >= count {
			return 0, false
		}
		issued++
		return issued - 1, true
	}
	start := time.Now()
	deadline := start.Add(maxDur)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i, ok := take()
				if !ok {
					return
				}
				t0 := time.Now()
				code, err := send(ctx, client, next(i), nil)
				c.add(code, time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	c.res.Elapsed = time.Since(start)
	slices.Sort(c.res.Latencies)
	return c.res
}
