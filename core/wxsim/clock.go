package wxsim

import (
	"sync"
	"time"
)

// Clock is the time source the virtual clock runs over.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// vclock is the simulator's virtual clock: now = start + realElapsed×speed + advanced, where
// realElapsed is measured on the base clock. Every expiry, rid, CreateTime, quota day and the
// push schedule read it, so Advance moves the whole world at once.
type vclock struct {
	base      Clock
	speed     float64
	baseStart time.Time // base.Now() at creation (keeps the monotonic reading)
	virtStart time.Time // wall time at creation, monotonic reading stripped

	mu       sync.Mutex
	advanced time.Duration
}

func newVClock(base Clock, speed float64) *vclock {
	now := base.Now()
	return &vclock{base: base, speed: speed, baseStart: now, virtStart: now.Round(0)}
}

func (c *vclock) Now() time.Time {
	elapsed := c.base.Now().Sub(c.baseStart)
	if c.speed != 1 {
		elapsed = time.Duration(float64(elapsed) * c.speed)
	}
	c.mu.Lock()
	adv := c.advanced
	c.mu.Unlock()
	return c.virtStart.Add(elapsed + adv)
}

func (c *vclock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.advanced += d
	c.mu.Unlock()
}

// realWait converts a virtual duration into the real time it takes at this speed.
func (c *vclock) realWait(virtual time.Duration) time.Duration {
	if c.speed == 1 {
		return virtual
	}
	return time.Duration(float64(virtual) / c.speed)
}
