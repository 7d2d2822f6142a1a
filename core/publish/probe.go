package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// ProbeResult is what `publish test` reports.
type ProbeResult struct {
	URL     string        // masked
	Key     string        // the probe key written, read back and deleted
	Latency time.Duration // SET + GET + DEL, one round trip each
}

// Probe writes a probe key with a short TTL, reads it back and deletes it.
func Probe(ctx context.Context, rawURL string) (ProbeResult, error) {
	res := ProbeResult{URL: MaskURL(rawURL)}
	rdb, err := newClient(rawURL)
	if err != nil {
		return res, err
	}
	defer rdb.Close()
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	res.Key = "wxauth:probe:" + hex.EncodeToString(b)
	want := time.Now().UTC().Format(time.RFC3339Nano)
	start := time.Now()
	if err := rdb.Set(ctx, res.Key, want, 30*time.Second).Err(); err != nil {
		return res, wrapRedis(rawURL, "writing a probe key to", err)
	}
	got, err := rdb.Get(ctx, res.Key).Result()
	if err != nil {
		return res, wrapRedis(rawURL, "reading the probe key back from", err)
	}
	if err := rdb.Del(ctx, res.Key).Err(); err != nil {
		return res, wrapRedis(rawURL, "deleting the probe key from", err)
	}
	res.Latency = time.Since(start)
	if got != want {
		return res, fmt.Errorf("the probe key read back from Redis %s held %q instead of the value just written: is something rewriting keys?", res.URL, got)
	}
	return res, nil
}
