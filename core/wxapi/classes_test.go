package wxapi

import (
	"errors"
	"fmt"
	"testing"
)

// TestCodeClasses: which codes need the user, pause the platform, invalidate a token, can be
// retried, or reveal a platform-wide side state. The engine branches on these answers only.
func TestCodeClasses(t *testing.T) {
	for _, tc := range []struct {
		code                       int
		needsUser, retry, tokenBad bool
		pause                      Pause
		side                       Side
	}{
		{-1, false, true, false, NoPause, NoSide},
		{40001, false, false, true, NoPause, NoSide},
		{40014, false, false, true, NoPause, NoSide},
		{42001, false, false, true, NoPause, NoSide},
		{40013, true, false, false, PauseBriefly, NoSide},
		{40125, true, false, false, PauseBriefly, NoSide},
		{40164, true, false, false, PauseBriefly, SideIPRejected},
		{41004, false, false, false, PauseBriefly, NoSide},
		{45009, true, false, false, PauseForQuotaDay, SideQuotaUsedUp},
		{48001, true, false, false, NoPause, NoSide},
		{61003, true, false, false, NoPause, NoSide},
		{61004, true, false, false, PauseBriefly, SideIPRejected},
		{61005, true, false, false, NoPause, NoSide},
		{61006, true, false, false, NoPause, NoSide},
		{61007, true, false, false, NoPause, NoSide},
		{61009, false, false, false, NoPause, NoSide},
		{61010, false, false, false, NoPause, NoSide},
		{61011, true, false, false, PauseBriefly, NoSide},
		{61023, true, false, false, NoPause, NoSide},
		{99999, false, false, false, NoPause, NoSide}, // unknown: explained, never acted on
	} {
		info := Explain(tc.code)
		if info.NeedsUser != tc.needsUser || info.Retryable != tc.retry || info.TokenInvalid != tc.tokenBad || info.Pause != tc.pause || info.Side != tc.side {
			t.Errorf("%d: needs user %v retryable %v token invalid %v pause %v side %v; want %v %v %v %v %v", tc.code,
				info.NeedsUser, info.Retryable, info.TokenInvalid, info.Pause, info.Side, tc.needsUser, tc.retry, tc.tokenBad, tc.pause, tc.side)
		}
	}
	if info, ok := Class(fmt.Errorf("wrapped: %w", newError("api_component_token", 45009, "quota rid: 1-2-3"))); !ok || info.Code != 45009 {
		t.Errorf("Class of a wrapped 45009 = %+v, %v", info, ok)
	}
	if _, ok := Class(errors.New("dial tcp: refused")); ok {
		t.Error("Class of a network error reports a WeChat code")
	}
}
