package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wxauth/core/wxapi"
)

// componentCall makes a WeChat call that carries the component token. When WeChat rejects the
// token (40001/40014/42001: another system renewed it, or it died early at WeChat), the token
// is replaced once, under the lease, and the call made again; every component call recovers
// the same way. held says whether the caller holds the platform's lease already.
func (e *Engine) componentCall(ctx context.Context, p Platform, api string, held bool, fn func(ctx context.Context, c *wxapi.Client, token string) error) error {
	tok, err := e.usableComponentToken(ctx, p, held)
	if err != nil {
		return err
	}
	call := func(tok ComponentToken) error {
		return e.call(ctx, p, api, func(ctx context.Context, c *wxapi.Client) error { return fn(ctx, c, tok.Token) })
	}
	err = call(tok)
	if !wxapi.IsTokenInvalid(err) {
		return err
	}
	if tok, err = e.replaceRejected(ctx, p, tok, err, held); err != nil {
		return err
	}
	setPassToken(ctx, p.ComponentAppID, tok)
	return call(tok)
}

func (e *Engine) usableComponentToken(ctx context.Context, p Platform, held bool) (ComponentToken, error) {
	if held {
		if tok, ok := e.passTokenOf(ctx, p.ComponentAppID); ok {
			return tok, nil // a refresher pass read it once (passtoken.go)
		}
		return e.validComponentToken(ctx, p)
	}
	return e.ComponentToken(ctx, p.ComponentAppID)
}

// replaceRejected replaces a component token WeChat rejected: minted again if it is still the
// stored one (after marking it dead, so nobody hands it out meanwhile and `status` stops calling
// it valid), else the newer stored one is used.
func (e *Engine) replaceRejected(ctx context.Context, p Platform, rejected ComponentToken, cause error, held bool) (ComponentToken, error) {
	replace := func(ctx context.Context) error {
		cur, err := e.loadComponentToken(ctx, p.ComponentAppID)
		if err == nil && cur.version != rejected.version {
			return nil // another process replaced it already
		}
		now := e.clock.Now()
		if err := e.db.ExpireComponentToken(ctx, p.ComponentAppID, rejected.version, now); err != nil {
			e.log.Warn("marking the rejected component token dead", "err", err)
		}
		code := wxapi.ErrCode(cause)
		e.emit(ctx, Event{Kind: EventSuperseded, Level: LevelWarn, ComponentAppID: p.ComponentAppID, Code: code,
			Message: fmt.Sprintf("component token rejected (%d) %s before its expiry: another party minted a newer one", code, rejected.ExpiresAt.Sub(now).Round(time.Second)),
			Remedy:  "make sure only one system (this wxauth database) refreshes this platform's token"})
		_, err = e.mintComponentToken(ctx, p, rejected.version)
		return err
	}
	var err error
	if held {
		err = replace(ctx)
	} else {
		err = e.underLease(ctx, p.ComponentAppID, targetComponent, replace, func(ctx context.Context) (bool, error) {
			cur, err := e.loadComponentToken(ctx, p.ComponentAppID)
			return err == nil && cur.version != rejected.version && lastsEnough(e.clock.Now(), cur.ObtainedAt, cur.ExpiresAt), nil
		})
	}
	if err != nil {
		return ComponentToken{}, err
	}
	tok, err := e.loadComponentToken(ctx, p.ComponentAppID)
	if err == nil && tok.version == rejected.version {
		err = errors.New("the rejected component token could not be replaced")
	}
	return tok, err
}
