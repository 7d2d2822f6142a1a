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

// Pushes and several processes. The listener's replay cache (core/callback) is per process: a
// push replayed to another process sharing the database, or after a restart, is acted on
// again. That is enough because no push decides anything on the cache's word; every decision
// that matters is made where all processes meet:
//   - a ticket: the store keeps the newest by CreateTime, so an older one never replaces it;
//   - an authorized push: its session is claimed by compare-and-set, once; a replayed code is
//     refused by WeChat (61009/61010), and a refused code never fails a session (exchangeFailed);
//   - an unauthorized push: WeChat is asked whether the account is still authorized before it
//     is marked revoked (confirmUnauthorized).
// The cache only spares WeChat's retries a second round of work.

// unauthorizedSkew absorbs clock skew between WeChat's CreateTime and our clock when WeChat
// cannot be asked whether an unauthorized push still holds.
const unauthorizedSkew = 5 * time.Minute

// HandlePush acts on a verified, decrypted push for a platform. It returns once what the push
// carries is committed, so the listener can answer `success`; what needs WeChat (the code
// exchange of an `authorized` push, the check of an `unauthorized` one) then continues in the
// background (WeChat wants the answer within 5 s).
func (e *Engine) HandlePush(ctx context.Context, componentAppID string, m wxapi.PushMessage) error {
	switch m.InfoType {
	case wxapi.InfoTypeVerifyTicket:
		return e.receiveTicket(ctx, componentAppID, m.ComponentVerifyTicket, time.Unix(m.CreateTime, 0), "push")
	case wxapi.InfoTypeAuthorized, wxapi.InfoTypeUpdateAuthorized:
		return e.authorizedPush(ctx, componentAppID, m)
	case wxapi.InfoTypeUnauthorized:
		return e.unauthorizedPush(ctx, componentAppID, m)
	case wxapi.InfoTypeDoctorProbe:
		// Logged with its nonce so the doctor, in another process, can tell this listener
		// answered and not some other server saying `success`.
		e.emit(ctx, Event{Kind: EventDoctorProbe, ComponentAppID: componentAppID,
			Message: "doctor probe " + Printable(m.ProbeNonce) + " received"})
		return nil
	default:
		e.emit(ctx, Event{Kind: EventPushUnknown, ComponentAppID: componentAppID,
			Message: "push of unhandled InfoType " + m.InfoType + " acknowledged"})
		return nil
	}
}

// authorizedPush commits the push's code to its session (or a new one) and exchanges it in the
// background.
func (e *Engine) authorizedPush(ctx context.Context, componentAppID string, m wxapi.PushMessage) error {
	if m.AuthorizationCode == "" {
		return fmt.Errorf("%s push without AuthorizationCode", m.InfoType)
	}
	now := e.clock.Now()
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
		if claimed.State == SessionExchanging && claimed.AuthCode != m.AuthorizationCode {
			// Another code holds the session (a paste or a redirect WeChat may refuse): this
			// one takes its turn if that one is refused.
			e.background(ctx, func(ctx context.Context) {
				_, _ = e.CaptureCode(ctx, s.ID, m.AuthorizationCode, SourcePush)
			})
		}
		return nil // else the redirect or a paste got there first, or the push is a replay
	}
	if err != nil {
		return err
	}
	e.emit(ctx, Event{Kind: EventCodeCaptured, ComponentAppID: componentAppID, AuthorizerAppID: m.AuthorizerAppID,
		Message: fmt.Sprintf("%s push for %s", m.InfoType, m.AuthorizerAppID)})
	e.background(ctx, func(ctx context.Context) {
		_, _ = e.exchange(ctx, claimed, false) // failures are emitted and recorded on the session
	})
	return nil
}

// unauthorizedPush acknowledges a cancellation at once and checks it with WeChat in the
// background: a late or replayed push must not revoke a fresh re-authorization. If this
// process stops before the check, nothing is lost: the account's next refresh meets 61003.
func (e *Engine) unauthorizedPush(ctx context.Context, componentAppID string, m wxapi.PushMessage) error {
	a, err := e.loadAuthorizer(ctx, componentAppID, m.AuthorizerAppID)
	if errors.Is(err, storage.ErrNotFound) {
		e.emit(ctx, Event{Kind: EventPushUnknown, ComponentAppID: componentAppID, AuthorizerAppID: m.AuthorizerAppID,
			Message: "unauthorized push for an account wxauth never had (" + m.AuthorizerAppID + "): ignored"})
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status == AuthorizerRevoked {
		e.log.Info("unauthorized push for an account already revoked", "component_appid", componentAppID, "authorizer_appid", a.AppID)
		return nil
	}
	e.log.Info("unauthorized push received; confirming with WeChat", "component_appid", componentAppID,
		"authorizer_appid", a.AppID, "create_time", m.CreateTime)
	e.background(ctx, func(ctx context.Context) {
		e.confirmUnauthorized(ctx, componentAppID, a.AppID, time.Unix(m.CreateTime, 0))
	})
	return nil
}

// confirmUnauthorized asks WeChat (api_get_authorizer_info) whether the account is still
// authorized: yes means the push is stale (sent before a newer authorization), 61003 means it
// holds. When WeChat cannot say, the push's CreateTime decides: only a push clearly after the
// latest authorization revokes it; in doubt the account is kept, and its next refresh tells.
func (e *Engine) confirmUnauthorized(ctx context.Context, componentAppID, appid string, created time.Time) {
	a, err := e.loadAuthorizer(ctx, componentAppID, appid) // as it stands now, not when the push came
	if err != nil {
		e.log.Error("confirming an unauthorized push", "authorizer_appid", appid, "err", err)
		return
	}
	ignore := func(msg string) {
		e.emit(ctx, Event{Kind: EventPushUnknown, Level: LevelWarn, ComponentAppID: a.ComponentAppID, AuthorizerAppID: a.AppID, Message: msg})
	}
	err = e.stillAuthorized(ctx, a)
	switch {
	case err == nil:
		ignore("ignored a stale unauthorized push for " + a.AppID + ": WeChat still lists it as authorized (the push predates its latest authorization, or was replayed)")
		return
	case wxapi.ErrCode(err) == wxapi.CodeNotAuthorized:
	case created.After(a.AuthorizedAt.Add(unauthorizedSkew)):
		e.log.Warn("could not confirm an unauthorized push; it is newer than the latest authorization", "authorizer_appid", a.AppID, "err", err)
	default:
		ignore("unauthorized push for " + a.AppID + " not acted on: WeChat could not confirm it (" + err.Error() +
			") and it is not clearly newer than the latest authorization; the next refresh will tell")
		return
	}
	err = e.moveAuthorizer(ctx, a.ComponentAppID, a.AppID, AuthorizerRevoked, "the merchant cancelled the authorization")
	if err != nil {
		e.log.Error("recording the revocation failed", "authorizer_appid", a.AppID, "err", err)
		return
	}
	e.emit(ctx, Event{Kind: EventRevoked, Level: LevelWarn, ComponentAppID: a.ComponentAppID, AuthorizerAppID: a.AppID,
		Message: a.AppID + " cancelled its authorization; its tokens no longer work (history kept)"})
}

// stillAuthorized asks WeChat for the account's info: nil while it is authorized.
func (e *Engine) stillAuthorized(ctx context.Context, a Authorizer) error {
	p, err := e.loadPlatform(ctx, a.ComponentAppID)
	if err != nil {
		return err
	}
	_, err = e.getAuthorizerInfo(ctx, p, a.AppID, false)
	return err
}

// background runs fn after the push is answered: detached from the request (which ends with
// the answer), bounded, and waited for by Close.
func (e *Engine) background(ctx context.Context, fn func(ctx context.Context)) {
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.exchangeTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// receiveTicket stores a ticket; an older one never replaces a newer one.
func (e *Engine) receiveTicket(ctx context.Context, componentAppID, ticket string, created time.Time, source string) error {
	if ticket == "" {
		return fmt.Errorf("ticket push without ComponentVerifyTicket")
	}
	now := e.clock.Now()
	// The event of a new ticket is committed with the ticket, in one write (storage.Ticket.Log).
	ev, row := e.eventRow(Event{At: now, Kind: EventTicketReceived, ComponentAppID: componentAppID,
		Message: "component_verify_ticket received from " + source + ", valid until " + created.Add(TicketValidity).Format("15:04")})
	stale, staleRow := e.eventRow(Event{At: now, Kind: EventTicketIgnored, Level: LevelWarn, ComponentAppID: componentAppID,
		Message: "an older ticket arrived (replayed or delayed push); the newer one stays current"})
	current, repeat, err := e.db.SaveTicket(ctx, storage.Ticket{ComponentAppID: componentAppID, Ticket: ticket,
		CreateTime: created, ReceivedAt: now, Source: source, Log: &row, StaleLog: &staleRow})
	if err != nil {
		return err
	}
	if !current {
		e.notify(ctx, stale)
		return nil
	}
	if repeat {
		// WeChat repeats a ticket several times before rotating it: the store counts the
		// repeats on the ticket's row and the audit log records each distinct value once.
		ev.Message = "component_verify_ticket push received (same value), valid until " + created.Add(TicketValidity).Format("15:04")
	}
	e.notify(ctx, ev)
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
