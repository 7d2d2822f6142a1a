package flow

import (
	"context"
	"fmt"

	"wxauth/core/callback"
	"wxauth/core/release"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// EventMessageReceived records a message pushed to an authorizer's message URL. It names the
// message's type (and event), never its content: that is the account's users' data.
const EventMessageReceived EventKind = "message_received"

// MessageURL is the 消息与事件接收URL to register: WeChat substitutes $APPID$ with the
// authorizer's appid.
func (p Platform) MessageURL() string { return p.PublicURL + "/wechat/messages/$APPID$" }

// Crypters is every known platform's crypter, from memory: the message URL tries each.
func (e *Engine) Crypters() []*wxcrypt.Crypter {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*wxcrypt.Crypter, 0, len(e.crypters))
	for _, c := range e.crypters {
		out = append(out, c)
	}
	return out
}

// HandleMessage answers a decrypted message sent to authorizerAppID's message URL. The release
// test's messages to the official test accounts get the answers WeChat checks (core/release);
// everything else is recorded and acknowledged.
func (e *Engine) HandleMessage(ctx context.Context, componentAppID, authorizerAppID string, plain []byte) (callback.MessageReply, error) {
	m, err := release.ParseMessage(plain)
	if err != nil {
		e.emit(ctx, Event{Kind: EventMessageReceived, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
			Level: LevelWarn, Message: "unreadable message acknowledged: " + err.Error()})
		return callback.MessageReply{}, nil
	}
	what := m.MsgType
	if m.Event != "" {
		what += " " + m.Event
	}
	act := release.Decide(authorizerAppID, m)
	if e.noResponder {
		act = release.Action{}
	}
	if !act.Handled {
		e.emit(ctx, Event{Kind: EventMessageReceived, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
			Message: fmt.Sprintf("%s message for %s acknowledged", what, authorizerAppID)})
		return callback.MessageReply{}, nil
	}
	if act.QueryAuthCode != "" {
		e.emit(ctx, Event{Kind: EventMessageReceived, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
			Message: "release test: QUERY_AUTH_CODE received; exchanging it and answering through the customer-service API"})
		e.background(ctx, func(ctx context.Context) {
			e.answerQueryAuth(ctx, componentAppID, authorizerAppID, m.FromUserName, act)
		})
		return callback.MessageReply{Empty: true}, nil
	}
	e.emit(ctx, Event{Kind: EventMessageReceived, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
		Message: fmt.Sprintf("release test: %s message answered", what)})
	return callback.MessageReply{XML: release.TextReply(m, act.Reply, e.clock.Now())}, nil
}

// answerQueryAuth exchanges the release test's code like any other grant (stored the same way),
// then answers the sender through the customer-service API with the new authorizer token.
func (e *Engine) answerQueryAuth(ctx context.Context, componentAppID, authorizerAppID, openid string, act release.Action) {
	fail := func(what string, err error) {
		e.emit(ctx, errorEvent(EventError, componentAppID, authorizerAppID, "release test: "+what, err))
	}
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		fail("platform", err)
		return
	}
	id := e.randomID(16)
	now := e.clock.Now()
	if err := e.db.CreateSession(ctx, Session{ID: id, ComponentAppID: componentAppID, PreAuthCode: "release:" + id,
		PreAuthExpiresAt: now, CreatedAt: now}.row()); err != nil {
		fail("recording the code", err)
		return
	}
	a, err := e.CaptureCode(ctx, id, act.QueryAuthCode, SourcePush)
	if err != nil {
		// The same code may have come in the authorized push and been exchanged already:
		// the stored grant then answers.
		if a, err = e.AuthorizerToken(ctx, componentAppID, authorizerAppID); err != nil {
			fail("api_query_auth", err)
			return
		}
	}
	err = e.call(ctx, p, "message/custom/send", func(ctx context.Context, c *wxapi.Client) error {
		return c.SendCustomText(ctx, a.AccessToken, openid, act.APIReply)
	})
	if err != nil {
		fail("message/custom/send", err)
		return
	}
	e.emit(ctx, Event{Kind: EventMessageReceived, ComponentAppID: componentAppID, AuthorizerAppID: authorizerAppID,
		Message: "release test: QUERY_AUTH_CODE answered through the customer-service API"})
}
