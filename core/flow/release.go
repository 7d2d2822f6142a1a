package flow

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"wxauth/core/release"
	"wxauth/core/wxapi"
)

// ReleaseChecklist is the pre-release checklist of a platform (core/release decides).
func (e *Engine) ReleaseChecklist(ctx context.Context, componentAppID string) ([]release.Check, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return nil, err
	}
	t, ok, err := e.CurrentTicket(ctx, componentAppID)
	if err != nil {
		return nil, err
	}
	s := release.Setup{PublicURL: p.PublicURL, AuthDomain: p.AuthDomain, EventURL: p.EventURL(),
		MessageURL: p.MessageURL(), Now: e.clock.Now()}
	if ok {
		s.TicketReceivedAt = t.ReceivedAt
	}
	// The message URL must also answer from outside: the doctor's echo check through the
	// public URL (WeChat's release test sends its messages there).
	reach := e.checkMessageURL(ctx, p, strings.TrimRight(p.PublicURL, "/"), DoctorOptions{Timeout: DoctorTimeout, SlowAfter: DoctorSlowAfter})
	checks := release.Checklist(s)
	checks = append(checks, release.Check{Name: "message URL reachable", Level: string(reach.Status), Msg: reach.Detail, Fix: reach.Fix})
	return checks, nil
}

// ReleaseTest asks the platform's API base to play the 全网发布 test when it is a simulator;
// ok is false for WeChat itself (the real test is started on the open platform).
func (e *Engine) ReleaseTest(ctx context.Context, componentAppID string) (rep release.Report, ok bool, err error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return release.Report{}, false, err
	}
	if p.APIBase == "" || p.APIBase == wxapi.DefaultAPIBase {
		return release.Report{}, false, nil
	}
	// The test waits on the listener several times (5 s each at most).
	hc := &http.Client{Transport: e.hc.Transport, Timeout: time.Minute}
	rep, err = release.RunSimulated(ctx, hc, p.APIBase, componentAppID)
	if errors.Is(err, release.ErrNotSimulator) {
		return release.Report{}, false, nil
	}
	return rep, err == nil, err
}
