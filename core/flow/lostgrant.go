package flow

import (
	"context"
	"fmt"
	"time"
)

// recoveryTimeout bounds one recovery from api_get_authorizer_list (paged, 500 a page).
const recoveryTimeout = 5 * time.Minute

// recoverLostGrant runs when WeChat refuses a session's code (61009/61010) after an earlier
// attempt at it may have reached WeChat: a process killed while api_query_auth was in flight,
// or a connection dropped after WeChat answered. WeChat then used the code and granted the
// account, and lists it (with its refresh token) in api_get_authorizer_list. Adopting what
// WeChat lists that we lack or hold stale stores the grant and renews its access token; when
// exactly one account changed, it is this session's, which then finishes with it.
func (e *Engine) recoverLostGrant(ctx context.Context, s Session) {
	// A walk through the whole list may take longer than one exchange.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoveryTimeout)
	defer cancel()
	rep, err := e.ImportAuthorizers(ctx, s.ComponentAppID, nil)
	if err != nil {
		e.emit(ctx, errorEvent(EventError, s.ComponentAppID, "", "recovering an interrupted authorization from api_get_authorizer_list", err))
		return
	}
	var changed []Adoption
	for _, it := range rep.Items {
		if it.Outcome == AdoptImported || it.Outcome == AdoptUpdated {
			changed = append(changed, it)
		}
	}
	if len(changed) == 0 {
		return // nothing was lost: the code was simply bad
	}
	for _, it := range changed {
		name := Authorizer{AppID: it.AppID, NickName: it.NickName}.DisplayName()
		e.emit(ctx, Event{Kind: EventAuthorized, ComponentAppID: s.ComponentAppID, AuthorizerAppID: it.AppID,
			Message: fmt.Sprintf("%s recovered from api_get_authorizer_list: its authorization-code exchange was interrupted after WeChat had used the code", name)})
	}
	if len(changed) == 1 {
		e.settleRecovered(ctx, s, changed[0].AppID)
	}
}

// settleRecovered finishes the session whose grant was recovered, if it is still waiting (its
// refused code gave it back): claimed with that code again, then done with the account.
func (e *Engine) settleRecovered(ctx context.Context, s Session, appid string) {
	cur, err := e.loadSession(ctx, s.ID)
	if err != nil || cur.State != SessionPending {
		return
	}
	if _, err := e.claimSession(ctx, s.ID, s.AuthCode, s.CodeSource); err != nil {
		return // another code arrived meanwhile and goes its own way
	}
	if err := e.finishSession(ctx, s.ID, appid, ""); err != nil {
		e.log.Warn("finishing a recovered session", "err", err)
	}
}
