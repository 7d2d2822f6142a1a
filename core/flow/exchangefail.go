package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxauth/core/wxapi"
)

// How far an exchange got before it failed.
type exchangeStage int

const (
	codeUnsent   exchangeStage = iota // failed before api_query_auth
	codeSent                          // api_query_auth failed
	codeAccepted                      // WeChat accepted the code; what followed failed
)

// codeMayLive reports whether a session's code may still be exchanged at now: codes live 3600 s
// and arrive before the pre_auth_code ends (a code brought without a session of ours arrives
// when its record is made, which is then its PreAuthExpiresAt).
func codeMayLive(s Session, now time.Time) bool {
	return now.Before(s.PreAuthExpiresAt.Add(wxapi.DefaultAuthCodeExpiresIn * time.Second))
}

// exchangeFailed decides what a failed exchange leaves of its session, records it and returns
// the error for whoever brought the code. Until WeChat accepted the code, the session is used up
// only when the code cannot work:
//   - WeChat judged the code and refused it (61009, 61010…: a typo, a forged redirect, a
//     replayed push) while the pre_auth_code is still valid: the session is pending again,
//     and the genuine redirect, push or paste still completes it;
//   - the failure says nothing about the code (network, -1, 5xx, a superseded token, the IP
//     whitelist, no ticket, the caller gave up): the session stays exchanging with its
//     committed code, and the refresher resumes it while the code may live;
//   - otherwise (the pre_auth_code is over, or WeChat accepted the code and storing it failed)
//     the session fails.
func (e *Engine) exchangeFailed(ctx context.Context, s Session, what string, err error, stage exchangeStage) error {
	ev := errorEvent(EventError, s.ComponentAppID, "", what, err)
	ctx = context.WithoutCancel(ctx) // the outcome is recorded even when the caller gave up
	now := e.clock.Now()
	info, fromWeChat := wxapi.Class(err)
	if code := wxapi.ErrCode(err); stage == codeSent && s.mayBeUsed && (code == wxapi.CodeAuthCodeExpired || code == wxapi.CodeAuthCodeInvalid) {
		// An earlier attempt may have used the code at WeChat and lost us the answer: what it
		// granted is found in WeChat's list, after the session is settled below.
		defer e.background(ctx, func(ctx context.Context) { e.recoverLostGrant(ctx, s) })
	}
	switch {
	case stage == codeAccepted || !codeMayLive(s, now):
		// The code is used, or dead by now: nothing can complete this session any more.
	case stage == codeSent && fromWeChat && !info.Retryable && !info.TokenInvalid && !info.NeedsUser:
		// WeChat judged the code itself (platform-wide errcodes say nothing about it).
		if now.Before(s.PreAuthExpiresAt) {
			return e.refuseCode(ctx, s, ev, err)
		}
	case wxapi.IsRetryable(err) || NeedsUser(err) || wxapi.IsTokenInvalid(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.emit(ctx, ev)
		return fmt.Errorf("%w\n  the code is kept: the refresher of `wxauth serve` or the console exchanges it again", err)
	}
	if ferr := e.finishSession(ctx, s.ID, "", ev.Message); ferr != nil {
		e.log.Error("finishing session failed", "err", ferr)
	}
	e.emit(ctx, ev)
	if code := wxapi.ErrCode(err); code == wxapi.CodeAuthCodeExpired || code == wxapi.CodeAuthCodeInvalid {
		return &UserError{Msg: ev.Message, Remedy: ev.Remedy, Err: err}
	}
	return err
}

// refuseCode gives the session of a code WeChat refused back to pending, and tells whoever
// brought the code that it did not work while the authorization goes on waiting.
func (e *Engine) refuseCode(ctx context.Context, s Session, ev Event, err error) error {
	if rerr := e.releaseSession(ctx, s.ID, s.AuthCode); rerr != nil {
		e.log.Error("giving the session back failed", "err", rerr)
	}
	ev.Level = LevelWarn
	ev.Remedy = "The authorization still waits for the merchant's code (redirect, push or paste). " + ev.Remedy
	e.emit(ctx, ev)
	return &UserError{Msg: ev.Message, Remedy: ev.Remedy, Err: err}
}
