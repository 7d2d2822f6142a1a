package flow

import (
	"context"

	"wxauth/core/wxapi"
)

// call makes one WeChat API call for platform p: retried with the policy's backoff while the
// failure is retryable (the catalogue says which), each attempt counted against the day's
// quota. fn receives the platform's client.
func (e *Engine) call(ctx context.Context, p Platform, api string, fn func(ctx context.Context, c *wxapi.Client) error) error {
	c := e.client(p)
	return e.policy.Retry(ctx, wxapi.IsRetryable, func(ctx context.Context) error {
		e.count(ctx, p.ComponentAppID, api)
		return fn(ctx, c)
	})
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
	if err := e.db.CountCall(context.WithoutCancel(ctx), componentAppID, api, e.clock.Now()); err != nil {
		e.log.Warn("counting API call failed", "err", err)
	}
}
