package wxsim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// newVClock starts virtual time at the base clock's time, or at floor when that is later
// (the time a previous run had reached, see Options.ClockFile).
func newVClock(base Clock, speed float64, floor time.Time) *vclock {
	now := base.Now()
	virt := now.Round(0)
	if floor.After(virt) {
		virt = floor
	}
	return &vclock{base: base, speed: speed, baseStart: now, virtStart: virt}
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

// clockMark keeps, in Options.ClockFile, the latest virtual time a run has shown a receiver
// (push CreateTimes, and the clock at Close). Virtual time runs ahead of real time after
// Advance or at a speed above 1, and wxauth keeps the newest ticket by CreateTime: a new run
// starting again from real time would push tickets that all look older, and be ignored until
// real time caught up. Starting no earlier than the mark prevents that.
type clockMark struct {
	path string // "" keeps nothing

	mu     sync.Mutex
	marked int64 // Unix seconds last written
}

// readClockMark returns the time recorded in path (zero when the file is missing or empty).
func readClockMark(path string) (time.Time, error) {
	if path == "" {
		return time.Time{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("clock file: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return time.Time{}, nil // a write cut short by a crash: start from real time
	}
	sec, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("clock file %s: want Unix seconds, got %q (delete the file to start from real time)", path, clip(text, 40))
	}
	return time.Unix(sec, 0), nil
}

// advanceTo records t if it is later than what was recorded. The file is replaced by a
// rename, so a reader sees the old mark or the new one.
func (m *clockMark) advanceTo(t time.Time) error {
	if m.path == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sec := t.Unix()
	if sec <= m.marked {
		return nil
	}
	dir := filepath.Dir(m.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(m.path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(strconv.FormatInt(sec, 10) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), m.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	m.marked = sec
	return nil
}
