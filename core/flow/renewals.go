package flow

// Renewal requests: how a process that needs a token renewed reaches the process that holds the
// platform's lease (`wxauth token --renew` or the console's R while `serve` runs). The request
// and the answer go through the store, so they work across processes; the holder's refresher
// looks for requests every renewalPoll.

import (
	"context"
	"errors"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// renewalPoll is how often a lease holder looks for renewal requests.
const renewalPoll = 500 * time.Millisecond

// RenewalError is the lease holder's answer that it could not renew: WeChat's errcode and
// message (with its rid) as the holder got them.
type RenewalError struct {
	Target    string
	Code      int
	Msg       string
	needsUser bool
}

func (e *RenewalError) Error() string {
	return "the wxauth process holding the lease could not renew " + e.Target + ": " + e.Msg
}

// renewalAnswer reports whether the holder answered request id, and its error if it failed.
func (e *Engine) renewalAnswer(ctx context.Context, id int64) (bool, error) {
	r, err := e.db.Renewal(ctx, id)
	if err != nil || r.DoneAt.IsZero() {
		return false, err
	}
	if r.Error == "" {
		return true, nil
	}
	return true, &RenewalError{Target: r.Target, Code: r.Code, Msg: r.Error, needsUser: r.NeedsUser}
}

// finishRenewal answers a request with the outcome of the work done for it.
func (e *Engine) finishRenewal(ctx context.Context, id int64, outcome error) {
	text := ""
	if outcome != nil {
		text = outcome.Error()
	}
	if err := e.db.FinishRenewal(context.WithoutCancel(ctx), id, text, wxapi.ErrCode(outcome), NeedsUser(outcome), e.clock.Now()); err != nil {
		e.log.Warn("answering a renewal request", "err", err)
	}
}

// serveRenewals answers the renewal requests of every platform this process refreshes.
func (e *Engine) serveRenewals(ctx context.Context) {
	e.mu.Lock()
	var leading []string
	for id, ok := range e.leading {
		if ok {
			leading = append(leading, id)
		}
	}
	e.mu.Unlock()
	for _, id := range leading {
		reqs, err := e.db.PendingRenewals(ctx, id)
		if err != nil || len(reqs) == 0 {
			continue
		}
		p, err := e.Platform(ctx, id)
		if err != nil {
			continue
		}
		e.answerRenewals(ctx, p, reqs)
	}
}

// answerRenewals renews what the requests ask for, still holding the lease (renewed first: a
// lease lost since the last pass means another process answers now).
func (e *Engine) answerRenewals(ctx context.Context, p Platform, reqs []storage.RenewRequest) {
	lock := e.platformLock(p.ComponentAppID)
	lock.Lock()
	defer lock.Unlock()
	if ok, err := e.acquireLease(ctx, p.ComponentAppID); err != nil || !ok {
		return
	}
	for _, r := range reqs {
		e.finishRenewal(ctx, r.ID, e.renewFor(ctx, p, r))
	}
}

// renewFor gives the request a token obtained at or after it was made.
func (e *Engine) renewFor(ctx context.Context, p Platform, r storage.RenewRequest) error {
	if r.Target == targetComponent {
		cur, err := e.loadComponentToken(ctx, p.ComponentAppID)
		if err == nil && !cur.ObtainedAt.Before(r.RequestedAt) {
			return nil
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		_, err = e.mintComponentToken(ctx, p, cur.version)
		return err
	}
	a, err := e.authorizer(ctx, p.ComponentAppID, r.Target)
	if err != nil || !a.AccessObtainedAt.Before(r.RequestedAt) {
		return err
	}
	return e.refreshAuthorizer(ctx, p, a)
}
