package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// HandlePush acts on a verified, decrypted push for a platform. It returns once what the push
// carries is committed, so the listener can answer `success`; the code exchange of an
// `authorized` push then continues in the background (WeChat wants the answer within 5 s).
func (e *Engine) HandlePush(ctx context.Context, componentAppID string, m wxapi.PushMessage) error {
	now := e.clock.Now()
	switch m.InfoType {
	case wxapi.InfoTypeVerifyTicket:
		return e.receiveTicket(ctx, componentAppID, m.ComponentVerifyTicket, time.Unix(m.CreateTime, 0), "push")
	case wxapi.InfoTypeAuthorized, wxapi.InfoTypeUpdateAuthorized:
		if m.AuthorizationCode == "" {
			return fmt.Errorf("%s push without AuthorizationCode", m.InfoType)
		}
		s, err := e.sessionByPreAuthCode(ctx, componentAppID, m.PreAuthCode)
		if errors.Is(err, storage.ErrNotFound) || m.PreAuthCode == "" {
			// Authorized from a session we did not start (another tool, a test account):
			// record the code first, then exchange it.
			s = Session{ID: e.randomID(16), ComponentAppID: componentAppID, PreAuthCode: m.PreAuthCode,
				PreAuthExpiresAt: now, CreatedAt: now}
			if s.PreAuthCode == "" {
				s.PreAuthCode = "push:" + s.ID
			}
			err = e.db.CreateSession(ctx, s.row())
		}
		if err != nil {
			return err
		}
		claimed, err := e.claimSession(ctx, s.ID, m.AuthorizationCode, SourcePush)
		if errors.Is(err, storage.ErrConflict) {
			return nil // the redirect or a paste got there first
		}
		if err != nil {
			return err
		}
		e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: componentAppID, AuthorizerAppID: m.AuthorizerAppID,
			Message: fmt.Sprintf("%s push for %s", m.InfoType, m.AuthorizerAppID)})
		e.bg.Add(1)
		go func() {
			defer e.bg.Done()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.exchangeTimeout)
			defer cancel()
			_, _ = e.exchange(ctx, claimed, false) // failures are emitted and recorded on the session
		}()
		return nil
	case wxapi.InfoTypeUnauthorized:
		// A cancellation older than the account's latest authorization (a replayed or very late
		// push) must not revoke it; 5 minutes absorb clock skew between WeChat and us.
		if a, err := e.loadAuthorizer(ctx, componentAppID, m.AuthorizerAppID); err == nil &&
			time.Unix(m.CreateTime, 0).Before(a.AuthorizedAt.Add(-5*time.Minute)) {
			e.emit(ctx, Event{Kind: EventPushUnknown, Level: LevelWarn, ComponentAppID: componentAppID, AuthorizerAppID: m.AuthorizerAppID,
				Message: "ignored an unauthorized push older than " + m.AuthorizerAppID + "'s latest authorization (replayed or delayed)"})
			return nil
		}
		err := e.moveAuthorizer(ctx, componentAppID, m.AuthorizerAppID, AuthorizerRevoked, "the merchant cancelled the authorization")
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		e.emit(ctx, Event{Kind: EventRevoked, Level: LevelWarn, ComponentAppID: componentAppID, AuthorizerAppID: m.AuthorizerAppID,
			Message: m.AuthorizerAppID + " cancelled its authorization; its tokens no longer work (history kept)"})
		return nil
	default:
		e.emit(ctx, Event{Kind: EventPushUnknown, ComponentAppID: componentAppID,
			Message: "push of unhandled InfoType " + m.InfoType + " acknowledged"})
		return nil
	}
}

// receiveTicket stores a ticket; an older one never replaces a newer one.
func (e *Engine) receiveTicket(ctx context.Context, componentAppID, ticket string, created time.Time, source string) error {
	if ticket == "" {
		return fmt.Errorf("ticket push without ComponentVerifyTicket")
	}
	now := e.clock.Now()
	prev, _ := e.loadTicket(ctx, componentAppID)
	current, err := e.db.SaveTicket(ctx, storage.Ticket{ComponentAppID: componentAppID, Ticket: ticket,
		CreateTime: created, ReceivedAt: now, Source: source})
	if err != nil {
		return err
	}
	if !current {
		e.emit(ctx, Event{Kind: EventTicketIgnored, Level: LevelWarn, ComponentAppID: componentAppID,
			Message: "an older ticket arrived (replayed or delayed push); the newer one stays current"})
		return nil
	}
	ev := Event{Kind: EventTicketReceived, ComponentAppID: componentAppID,
		Message: "component_verify_ticket received from " + source + ", valid until " + created.Add(TicketValidity).Format("15:04")}
	if prev.Value == ticket {
		// WeChat repeats a ticket several times before rotating it: the tickets table records
		// every push; the audit log only the changes.
		ev.Message = "component_verify_ticket push received (same value), valid until " + created.Add(TicketValidity).Format("15:04")
		e.notify(ctx, ev)
	} else {
		e.emit(ctx, ev)
	}
	select {
	case e.kick <- struct{}{}:
	default:
	}
	return nil
}

// SetTicket stores a ticket the user copied from elsewhere (e.g. a production log).
func (e *Engine) SetTicket(ctx context.Context, componentAppID, ticket string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	ticket = strings.TrimSpace(ticket)
	if ticket == "" {
		return &UserError{Msg: "the ticket is empty", Remedy: "pass the ComponentVerifyTicket value, e.g. ticket@@@…"}
	}
	return e.receiveTicket(ctx, p.ComponentAppID, ticket, e.clock.Now(), "manual")
}

// StartPushTicket asks WeChat to push a ticket now (api_start_push_ticket).
func (e *Engine) StartPushTicket(ctx context.Context, componentAppID string) (string, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return "", err
	}
	var st wxapi.Status
	err = e.call(ctx, p, "api_start_push_ticket", func(ctx context.Context, c *wxapi.Client) (err error) {
		st, err = c.StartPushTicket(ctx, p.ComponentAppID, p.AppSecret)
		return err
	})
	if err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "api_start_push_ticket", err))
		return "", err
	}
	msg := "WeChat will push a ticket to " + p.PublicURL + "/wechat/events now"
	if st.ErrMsg == "in a normal state" {
		msg = "ticket pushing was already on; " + msg
	}
	e.emit(ctx, Event{Kind: EventPushTicketAsked, ComponentAppID: p.ComponentAppID, Message: msg})
	return msg, nil
}

// RejectPush reports a push the listener refused (forged, malformed, unknown platform). It is
// logged and shown but not written to the database: a flood of forged pushes must cost nothing.
func (e *Engine) RejectPush(ctx context.Context, componentAppID, reason string, code int) {
	e.notify(ctx, Event{Kind: EventPushRejected, Level: LevelWarn, ComponentAppID: componentAppID, Code: code, Message: "push rejected: " + reason})
}

// ClearQuota resets the platform's daily API quota with clear_quota/v2 (by AppSecret, so it
// works even when fetching a token is itself at 45009). WeChat allows 10 resets a month.
func (e *Engine) ClearQuota(ctx context.Context, componentAppID string) error {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return err
	}
	e.count(ctx, p.ComponentAppID, "clear_quota/v2")
	if err := e.client(p).ClearQuotaV2(ctx, wxapi.ClearQuotaV2Request{ComponentAppID: p.ComponentAppID, AppSecret: p.AppSecret}); err != nil {
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "clear_quota/v2", err))
		return err
	}
	e.mu.Lock()
	delete(e.blocked, p.ComponentAppID)
	e.mu.Unlock()
	e.emit(ctx, Event{Kind: EventQuotaCleared, ComponentAppID: p.ComponentAppID,
		Message: "daily API quota cleared with clear_quota/v2 (10 resets a month)"})
	return nil
}
