package flow

import (
	"context"
	"strings"

	"wxauth/storage"
)

// Conversions between the store's rows and the engine's types: the only place that knows both.

func platformOf(r storage.Platform) Platform {
	return Platform{ComponentAppID: r.ComponentAppID, AppSecret: r.AppSecret, Token: r.Token,
		EncodingAESKey: r.EncodingAESKey, AuthDomain: r.AuthDomain, PublicURL: r.PublicURL, ListenAddr: r.ListenAddr,
		APIBase: r.APIBase, LoginBase: r.LoginBase, MobileBase: r.MobileBase, CreatedAt: r.CreatedAt}
}

func (p Platform) row() storage.Platform {
	return storage.Platform{ComponentAppID: p.ComponentAppID, AppSecret: p.AppSecret, Token: p.Token,
		EncodingAESKey: p.EncodingAESKey, AuthDomain: p.AuthDomain, PublicURL: p.PublicURL, ListenAddr: p.ListenAddr,
		APIBase: p.APIBase, LoginBase: p.LoginBase, MobileBase: p.MobileBase, CreatedAt: p.CreatedAt}
}

func ticketOf(r storage.Ticket) Ticket {
	return Ticket{ComponentAppID: r.ComponentAppID, Value: r.Ticket, CreateTime: r.CreateTime, ReceivedAt: r.ReceivedAt, Source: r.Source}
}

func componentTokenOf(r storage.ComponentToken) ComponentToken {
	return ComponentToken{ComponentAppID: r.ComponentAppID, Token: r.Token, ObtainedAt: r.ObtainedAt, ExpiresAt: r.ExpiresAt, version: r.Version}
}

func authorizerOf(r storage.Authorizer) Authorizer {
	return Authorizer{ComponentAppID: r.ComponentAppID, AppID: r.AppID, NickName: r.NickName, UserName: r.UserName,
		PrincipalName: r.PrincipalName, Kind: r.Kind, FuncInfo: r.FuncInfo, Status: AuthorizerStatus(r.Status),
		AccessToken: r.AccessToken, AccessObtainedAt: r.AccessObtainedAt, AccessExpiresAt: r.AccessExpiresAt,
		RefreshToken: r.RefreshToken, LastError: r.LastError, LastErrorAt: r.LastErrorAt, AuthorizedAt: r.AuthorizedAt,
		UpdatedAt: r.UpdatedAt, infoJSON: r.InfoJSON, accessVersion: r.AccessVersion}
}

func sessionOf(r storage.Session) Session {
	return Session{ID: r.ID, ComponentAppID: r.ComponentAppID, PreAuthCode: r.PreAuthCode, PreAuthExpiresAt: r.PreAuthExpiresAt,
		PCLink: r.PCLink, MobileLink: r.MobileLink, State: SessionState(r.State), AuthCode: r.AuthCode, CodeSource: r.CodeSource,
		AuthorizerAppID: r.AuthorizerAppID, Error: r.Error, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
		claimedAt: r.ClaimedAt, claimedBy: r.ClaimedBy}
}

// eventOf turns a logged event back into an Event. The log keeps message and remedy in one
// column, "message — remedy" (emit), so they are split again here.
func eventOf(r storage.Event) Event {
	msg, remedy, _ := strings.Cut(r.Message, " — ")
	return Event{At: r.At, Kind: EventKind(r.Kind), Level: r.Level, ComponentAppID: r.ComponentAppID,
		AuthorizerAppID: r.AuthorizerAppID, Message: msg, Code: r.Code, Remedy: remedy}
}

func (s Session) row() storage.Session {
	return storage.Session{ID: s.ID, ComponentAppID: s.ComponentAppID, PreAuthCode: s.PreAuthCode, PreAuthExpiresAt: s.PreAuthExpiresAt,
		PCLink: s.PCLink, MobileLink: s.MobileLink, State: string(s.State), AuthCode: s.AuthCode, CodeSource: s.CodeSource,
		AuthorizerAppID: s.AuthorizerAppID, Error: s.Error, CreatedAt: s.CreatedAt, FinishedAt: s.FinishedAt}
}

// Reads through the store, converted. Errors keep storage.ErrNotFound for errors.Is.

func (e *Engine) loadPlatform(ctx context.Context, componentAppID string) (Platform, error) {
	r, err := e.db.Platform(ctx, componentAppID)
	return platformOf(r), err
}

func (e *Engine) loadTicket(ctx context.Context, componentAppID string) (Ticket, error) {
	r, err := e.db.CurrentTicket(ctx, componentAppID)
	return ticketOf(r), err
}

func (e *Engine) loadComponentToken(ctx context.Context, componentAppID string) (ComponentToken, error) {
	r, err := e.db.ComponentToken(ctx, componentAppID)
	return componentTokenOf(r), err
}

func (e *Engine) loadAuthorizer(ctx context.Context, componentAppID, appid string) (Authorizer, error) {
	r, err := e.db.Authorizer(ctx, componentAppID, appid)
	return authorizerOf(r), err
}

func (e *Engine) loadAuthorizers(ctx context.Context, componentAppID string) ([]Authorizer, error) {
	rows, err := e.db.Authorizers(ctx, componentAppID)
	return each(rows, authorizerOf), err
}

func (e *Engine) loadSession(ctx context.Context, id string) (Session, error) {
	r, err := e.db.Session(ctx, id)
	return sessionOf(r), err
}

func (e *Engine) loadSessions(rows []storage.Session, err error) ([]Session, error) {
	return each(rows, sessionOf), err
}

func (e *Engine) latestSession(ctx context.Context, componentAppID string) (Session, error) {
	r, err := e.db.LatestSession(ctx, componentAppID)
	return sessionOf(r), err
}

func (e *Engine) claimSession(ctx context.Context, id, code, source string) (Session, error) {
	r, err := e.db.ClaimSession(ctx, id, code, source, e.holder)
	return sessionOf(r), err
}

func (e *Engine) sessionByPreAuthCode(ctx context.Context, componentAppID, preAuthCode string) (Session, error) {
	r, err := e.db.SessionByPreAuthCode(ctx, componentAppID, preAuthCode)
	return sessionOf(r), err
}

// each converts every row.
func each[R, T any](rows []R, convert func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = convert(r)
	}
	return out
}
