package flow

// Pauses of the background refresher after platform-wide errors.

import (
	"time"

	"wxauth/core/wxapi"
)

// block pauses background refreshing of a platform after an error that retrying cannot fix
// and that every call would hit again: IP not whitelisted, quota exhausted, bad credentials.
// Explicit requests (`wxauth token`, refresh now) still go through, so the user can check a fix.
type block struct {
	until time.Time
	code  int
}

// blockFor says until when a platform-wide error pauses the refresher (zero: it does not).
// The catalogue says which codes are platform-wide.
func blockFor(now time.Time, code int) time.Time {
	switch wxapi.Explain(code).Pause {
	case wxapi.PauseForQuotaDay: // the daily quota resets at midnight China time
		cst := now.In(chinaTime)
		return time.Date(cst.Year(), cst.Month(), cst.Day()+1, 0, 0, 0, 0, cst.Location())
	case wxapi.PauseBriefly:
		return now.Add(5 * time.Minute)
	}
	return time.Time{}
}

// noteFailure pauses the platform's refresher if err is platform-wide.
func (e *Engine) noteFailure(componentAppID string, err error) {
	code := wxapi.ErrCode(err)
	until := blockFor(e.clock.Now(), code)
	if until.IsZero() {
		return
	}
	e.mu.Lock()
	e.blocked[componentAppID] = block{until: until, code: code}
	e.mu.Unlock()
}

// pausedUntil reports whether the platform's background refresh is paused.
func (e *Engine) pausedUntil(componentAppID string) (block, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.blocked[componentAppID]
	if ok && !e.clock.Now().Before(b.until) {
		delete(e.blocked, componentAppID)
		return b, false
	}
	return b, ok
}
