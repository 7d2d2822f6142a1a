package flow

// Adopting the accounts already authorized to a platform. api_get_authorizer_list returns each
// one's refresh token, so a platform that ran elsewhere for years (or was removed here and added
// again) moves to wxauth without any merchant authorizing again.

import (
	"context"
	"errors"
	"fmt"

	"wxauth/core/wxapi"
	"wxauth/storage"
)

// AdoptOutcome says what adopting one listed account did.
type AdoptOutcome string

// Adoption outcomes.
const (
	AdoptImported  AdoptOutcome = "imported"  // not stored before: stored now
	AdoptUpdated   AdoptOutcome = "updated"   // stored with another refresh token: WeChat's replaced it (the old one stays in the history)
	AdoptUnchanged AdoptOutcome = "unchanged" // stored with WeChat's refresh token already
	// AdoptNoRefreshToken: WeChat listed the account without a refresh token and none is kept,
	// so only the merchant authorizing again gives one.
	AdoptNoRefreshToken AdoptOutcome = "no_refresh_token"
	AdoptFailed         AdoptOutcome = "failed" // a WeChat error about this account; see Err
)

// Adoption is what adopting one account did.
type Adoption struct {
	AppID         string
	NickName      string
	Outcome       AdoptOutcome
	TokenObtained bool  // an access token was obtained (api_authorizer_token)
	Err           error // why the account failed, or why its access token could not be obtained
}

// ImportProgress is reported after each account (and once when the first page arrives).
type ImportProgress struct {
	Done, Total int      // accounts handled so far, of WeChat's total_count
	Last        Adoption // the account just handled (zero in the first report)
}

// ImportReport is what ImportAuthorizers did, account by account in WeChat's order.
type ImportReport struct {
	ComponentAppID string
	Total          int // total_count as WeChat last reported it
	Items          []Adoption
	// TokensLeftTo names the process holding the refresh lease when it was not this one: the
	// adopted accounts were stored, and that process obtains their tokens on its next pass.
	TokensLeftTo string
}

// Count is how many accounts had outcome o.
func (r ImportReport) Count(o AdoptOutcome) int {
	n := 0
	for _, it := range r.Items {
		if it.Outcome == o {
			n++
		}
	}
	return n
}

// Summary is the report in one line: "imported 3, updated 1, unchanged 6".
func (r ImportReport) Summary() string {
	s := fmt.Sprintf("imported %d, updated %d, unchanged %d", r.Count(AdoptImported), r.Count(AdoptUpdated), r.Count(AdoptUnchanged))
	if n := r.Count(AdoptFailed); n > 0 {
		s += fmt.Sprintf(", failed %d", n)
	}
	if n := r.Count(AdoptNoRefreshToken); n > 0 {
		s += fmt.Sprintf(", %d without a refresh token (the merchant must authorize again)", n)
	}
	tokenless := 0
	for _, it := range r.Items {
		if it.Outcome != AdoptFailed && it.Err != nil {
			tokenless++
		}
	}
	if tokenless > 0 {
		s += fmt.Sprintf(", %d stored without a working access token", tokenless)
	}
	return s
}

// ImportAuthorizers adopts every account authorized to the platform, page by page
// (api_get_authorizer_list, 500 a page): each is stored with the refresh token WeChat lists,
// its permission sets and info, and gets an access token at once. It is resumable and
// idempotent: each account is committed as it is adopted, and an account already stored with
// WeChat's refresh token is left alone. A failure about one account is recorded and the import
// goes on; a platform-wide one (network, IP whitelist, quota) stops it, keeping what was
// adopted, and running it again continues. progress may be nil.
func (e *Engine) ImportAuthorizers(ctx context.Context, componentAppID string, progress func(ImportProgress)) (ImportReport, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return ImportReport{}, err
	}
	if progress == nil {
		progress = func(ImportProgress) {}
	}
	rep := ImportReport{ComponentAppID: p.ComponentAppID}
	for offset := 0; ; {
		page, err := e.authorizerPage(ctx, p, offset)
		if err != nil {
			return rep, err
		}
		rep.Total = page.TotalCount
		if offset == 0 {
			progress(ImportProgress{Total: rep.Total})
		}
		for _, it := range page.List {
			ad, err := e.adoptOne(ctx, p, it, &rep)
			rep.Items = append(rep.Items, ad)
			progress(ImportProgress{Done: len(rep.Items), Total: max(rep.Total, len(rep.Items)), Last: ad})
			if err != nil {
				return rep, err
			}
		}
		// Advance by what was served, and stop on an empty page, so that a total_count larger
		// than what WeChat serves cannot loop forever.
		offset += len(page.List)
		if len(page.List) == 0 || offset >= page.TotalCount {
			return rep, nil
		}
	}
}

// authorizerPage fetches one page of api_get_authorizer_list.
func (e *Engine) authorizerPage(ctx context.Context, p Platform, offset int) (wxapi.AuthorizerList, error) {
	var page wxapi.AuthorizerList
	err := e.componentCall(ctx, p, "api_get_authorizer_list", false, func(ctx context.Context, c *wxapi.Client, token string) (err error) {
		page, err = c.GetAuthorizerList(ctx, token, p.ComponentAppID, offset, wxapi.MaxAuthorizerListCount)
		return err
	})
	if err != nil {
		e.noteFailure(p.ComponentAppID, err)
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, "", "api_get_authorizer_list", err))
	}
	return page, err
}

// adoptOne adopts an account under the refresh lease. When another process holds the lease,
// the account is only stored: the holder obtains its token on its next pass (two refreshers of
// one token would cut each other's tokens short). The error returned is platform-wide; an
// error about this account only is in the Adoption.
func (e *Engine) adoptOne(ctx context.Context, p Platform, it wxapi.AuthorizerListItem, rep *ImportReport) (Adoption, error) {
	var ad Adoption
	held := false
	err := e.underLease(ctx, p.ComponentAppID, it.AuthorizerAppID, func(ctx context.Context) (err error) {
		held = true
		ad, err = e.adopt(ctx, p, it)
		return err
	}, func(context.Context) (bool, error) { return true, nil })
	if !held && err == nil {
		if rep.TokensLeftTo == "" {
			rep.TokensLeftTo, _, _ = e.db.LeaseHolder(ctx, leaseName(p.ComponentAppID))
		}
		ad, _, err = e.storeAdoption(ctx, p, false, it)
	}
	if ad.AppID == "" {
		ad.AppID = it.AuthorizerAppID
	}
	if err != nil {
		ad.Err = err
		if ad.Outcome == "" {
			ad.Outcome = AdoptFailed
		}
		if accountLevel(err) {
			return ad, nil
		}
	}
	return ad, err
}

// accountLevel reports whether err concerns one account only (not authorized any more, refresh
// token refused…), so that an import goes on with the others. Network failures, paused
// platforms (IP whitelist, quota) and token errors would hit every account.
func accountLevel(err error) bool {
	info, ok := wxapi.Class(err)
	return ok && info.Pause == wxapi.NoPause && !info.Retryable && !info.TokenInvalid
}

// adopt makes the store match WeChat for one account of api_get_authorizer_list (storeAdoption),
// then obtains an access token when the account has none that lasts. Call it holding the lease.
// The error is the first failure; ad says how far it got.
func (e *Engine) adopt(ctx context.Context, p Platform, it wxapi.AuthorizerListItem) (Adoption, error) {
	ad, a, err := e.storeAdoption(ctx, p, true, it)
	if err != nil || !e.wantsToken(ad.Outcome, a) {
		return ad, err
	}
	if err := e.refreshAuthorizer(ctx, p, a); err != nil {
		return ad, err
	}
	ad.TokenObtained = true
	return ad, nil
}

// wantsToken says whether an adopted account should get an access token now: a new or updated
// one always; an unchanged one when it has none that lasts and nothing only its merchant can
// fix stands in the way.
func (e *Engine) wantsToken(o AdoptOutcome, a Authorizer) bool {
	switch o {
	case AdoptImported, AdoptUpdated:
		return true
	case AdoptUnchanged:
		switch a.Status {
		case AuthorizerRevoked, AuthorizerNeedsReauth, AuthorizerNoToken:
			return false
		}
		return a.AccessToken == "" || !lastsEnough(e.clock.Now(), a.AccessObtainedAt, a.AccessExpiresAt)
	}
	return false
}

// storeAdoption makes the stored record of one listed account match WeChat, without
// api_authorizer_token: an account not stored is stored with its refresh token, permission
// sets and info (api_get_authorizer_info); a stored one with another refresh token gets
// WeChat's (the old one stays in the history). The refresh token comes from the list, else from
// api_get_authorizer_info, else from the history kept here. It returns the record as stored.
func (e *Engine) storeAdoption(ctx context.Context, p Platform, held bool, it wxapi.AuthorizerListItem) (Adoption, Authorizer, error) {
	appid := it.AuthorizerAppID
	ad := Adoption{AppID: appid}
	cur, err := e.loadAuthorizer(ctx, p.ComponentAppID, appid)
	stored := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return ad, cur, err
	}
	ad.NickName = cur.NickName
	rt := it.RefreshToken
	if stored && rt != "" && rt == cur.RefreshToken {
		ad.Outcome = AdoptUnchanged
		return ad, cur, nil
	}
	var info *wxapi.AuthorizerInfoResponse
	if !stored || rt == "" {
		got, err := e.authorizerInfo(ctx, p, appid, held)
		if err != nil {
			return ad, cur, err
		}
		info = &got
		ad.NickName = got.AuthorizerInfo.NickName
		if rt == "" {
			rt = got.AuthorizationInfo.AuthorizerRefreshToken
		}
	}
	if rt == "" && cur.RefreshToken == "" {
		if hist, err := e.db.RefreshTokenHistory(ctx, p.ComponentAppID, appid); err == nil && len(hist) > 0 {
			rt = hist[len(hist)-1] // the newest kept: a platform removed and added again
		}
	}
	switch {
	case rt == "" && cur.RefreshToken == "":
		ad.Outcome = AdoptNoRefreshToken
		return ad, cur, nil
	case rt == "" || rt == cur.RefreshToken:
		ad.Outcome = AdoptUnchanged
		return ad, cur, nil
	case stored:
		if err := e.saveRecovered(ctx, p.ComponentAppID, appid, rt, e.clock.Now()); err != nil {
			return ad, cur, err
		}
		ad.Outcome = AdoptUpdated
	default:
		if _, err := e.saveGrant(ctx, storage.Grant{ComponentAppID: p.ComponentAppID, AppID: appid, RefreshToken: rt,
			FuncInfo: funcIDs(info.AuthorizationInfo.FuncInfo), At: e.clock.Now(), Source: "import"}, ""); err != nil {
			return ad, cur, err
		}
		ad.Outcome = AdoptImported
	}
	if info != nil {
		e.storeInfo(ctx, p, appid, *info)
	}
	a, err := e.loadAuthorizer(ctx, p.ComponentAppID, appid)
	e.emitAdopted(ctx, p, a, ad.Outcome)
	return ad, a, err
}

// authorizerInfo calls api_get_authorizer_info for an import, reporting a failure.
func (e *Engine) authorizerInfo(ctx context.Context, p Platform, appid string, held bool) (wxapi.AuthorizerInfoResponse, error) {
	info, err := e.getAuthorizerInfo(ctx, p, appid, held)
	if err != nil {
		e.noteFailure(p.ComponentAppID, err)
		e.emit(ctx, errorEvent(EventError, p.ComponentAppID, appid, "api_get_authorizer_info", err))
	}
	return info, err
}

func (e *Engine) emitAdopted(ctx context.Context, p Platform, a Authorizer, o AdoptOutcome) {
	name := a.DisplayName()
	msg := name + " imported: authorized to this platform before, its refresh token taken from WeChat"
	if o == AdoptUpdated {
		msg = "refresh token of " + name + " replaced by WeChat's current one (api_get_authorizer_list); the old one stays in the history"
	}
	e.emit(ctx, Event{Kind: EventImported, ComponentAppID: p.ComponentAppID, AuthorizerAppID: a.AppID, Message: msg})
}
