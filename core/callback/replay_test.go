package callback

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestReplayMemoryBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1715943329, 0)
	r := newReplays(time.Hour, 100)
	for i := 0; i < 1000; i++ {
		key := strconv.Itoa(i)
		if first, _ := r.claim(ctx, key, now); !first {
			t.Fatalf("new key %s seen as a replay", key)
		}
		r.finish(key, true, now)
		if len(r.seen) > 101 || len(r.order) > 101 {
			t.Fatalf("after %d keys: %d remembered, %d in order", i+1, len(r.seen), len(r.order))
		}
	}
	if first, stored := r.claim(ctx, "999", now); first || !stored {
		t.Fatal("the newest key was forgotten")
	}
	if first, _ := r.claim(ctx, "0", now); !first {
		t.Fatal("the oldest key is still remembered beyond the bound")
	}
}
