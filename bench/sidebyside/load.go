package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// shot is one prepared request: the generator never seals or encodes while it measures.
type shot struct {
	url  string
	body []byte
}

type result struct {
	sent, failed int
	elapsed      time.Duration
	lats         []time.Duration
	firstErr     error
}

func (r result) rate() float64 { return float64(r.sent) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lats) == 0 {
		return 0
	}
	s := slices.Clone(r.lats)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// client keeps conns keep-alive connections open to one host.
func client(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}}
}

// fire sends s and checks the answer (want is the body expected, or "" for any 4xx).
func fire(ctx context.Context, c *http.Client, s shot, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	switch {
	case want == "" && resp.StatusCode >= 400 && resp.StatusCode < 500:
	case want != "" && resp.StatusCode == 200 && string(body) == want:
	default:
		return fmt.Errorf("answered %d %.80q", resp.StatusCode, body)
	}
	return nil
}

type collector struct {
	mu sync.Mutex
	r  result
}

func (c *collector) add(lat time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.r.sent++
	c.r.lats = append(c.r.lats, lat)
	if err != nil {
		c.r.failed++
		if c.r.firstErr == nil {
			c.r.firstErr = err
		}
	}
}

// closedLoop sends every shot from workers keep-alive clients, each sending its next request as
// soon as its previous one is answered.
func closedLoop(ctx context.Context, workers int, shots []shot, want string) result {
	c := client(workers)
	var next atomic.Int64
	var col collector
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(shots) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := fire(ctx, c, shots[i], want)
				col.add(time.Since(t), err)
			}
		})
	}
	wg.Wait()
	col.r.elapsed = time.Since(start)
	return col.r
}

// openLoop sends the shots at a fixed rate whatever the answers' latency (a request waits for
// no other), as WeChat's pushes arrive.
func openLoop(ctx context.Context, rate float64, shots []shot, want string) result {
	c := client(64)
	var col collector
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i, s := range shots {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			t := time.Now()
			err := fire(ctx, c, s, want)
			col.add(time.Since(t), err)
		})
	}
	wg.Wait()
	col.r.elapsed = time.Since(start)
	return col.r
}
