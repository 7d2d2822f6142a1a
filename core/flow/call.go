package flow

import (
	"context"
	"errors"
	"strconv"

	"wxauth/core/wxapi"
)

// call makes one WeChat API call for platform p: retried with the policy's backoff while the
// failure is retryable (the catalogue says which), each attempt counted against the day's
// quota. fn receives the platform's client.
func (e *Engine) call(ctx context.Context, p Platform, api string, fn func(ctx context.Context, c *wxapi.Client) error) error {
	c := e.client(p)
	return e.policy.Retry(ctx, wxapi.IsRetryable, func(ctx context.Context) error {
		e.count(ctx, p.ComponentAppID, api)
		err := fn(ctx, c)
		if kind := faultKind(err); kind != "" {
			e.countFault(ctx, p.ComponentAppID, kind)
		}
		return err
	})
}

// faultKind names a failure that is WeChat's (or the network's) fault, for the hourly fault
// counts `status` shows: "-1", "HTTP 502", "network", "truncated". A caller's own error (a bad
// code, a quota) is not a fault, nor is a cancelled call.
func faultKind(err error) string {
	if err == nil || !wxapi.IsRetryable(err) {
		return ""
	}
	var (
		we *wxapi.Error
		he *wxapi.HTTPError
		de *wxapi.DecodeError
	)
	switch {
	case errors.As(err, &we):
		return strconv.Itoa(we.ErrCode)
	case errors.As(err, &he):
		return "HTTP " + strconv.Itoa(he.StatusCode)
	case errors.As(err, &de):
		return "truncated"
	}
	return "network"
}

// countFault records a fault (a failure to count never fails the call).
func (e *Engine) countFault(ctx context.Context, componentAppID, kind string) {
	if err := e.db.CountFault(context.WithoutCancel(ctx), componentAppID, kind, e.clock.Now()); err != nil {
		e.log.Warn("counting a WeChat fault failed", "err", err)
	}
}

// client is the WeChat API client for a platform.
func (e *Engine) client(p Platform) *wxapi.Client {
	base := p.APIBase
	if base == "" {
		base = wxapi.DefaultAPIBase
	}
	return wxapi.NewClient(e.hc, wxapi.WithBaseURL(base))
}

// count records one call of api for the daily budget (a failure to count never fails the call).
func (e *Engine) count(ctx context.Context, componentAppID, api string) {
	if countInPass(ctx, componentAppID, api, e.clock.Now()) {
		return // written with the pass's batch (pass.go)
	}
	if err := e.db.CountCall(context.WithoutCancel(ctx), componentAppID, api, e.clock.Now()); err != nil {
		e.log.Warn("counting API call failed", "err", err)
	}
}
