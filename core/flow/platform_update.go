package flow

import (
	"context"
	"net/url"
	"strings"
)

// Changing and removing a platform: what changes, what goes, what is kept.

// PlatformPatch is a change to a platform's settings: a nil field stays as it is. The
// component appid never changes (it is the platform).
type PlatformPatch struct {
	AppSecret, Token, EncodingAESKey  *string
	AuthDomain, PublicURL, ListenAddr *string
	APIBase, LoginBase, MobileBase    *string
}

// Change is one setting an update changed; the values of secrets are masked.
type Change struct {
	Field    string // a Field… name
	Old, New string
	Secret   bool
}

// Apply returns p with the patch's fields set. When the auth domain changes and the public URL
// is not given, the public URL follows the domain if it was on the old one (WeChat requires the
// launch page and the callback on the registered domain).
func (pp PlatformPatch) Apply(p Platform) Platform {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	old := p
	set(&p.AppSecret, pp.AppSecret)
	set(&p.Token, pp.Token)
	set(&p.EncodingAESKey, pp.EncodingAESKey)
	set(&p.AuthDomain, pp.AuthDomain)
	set(&p.PublicURL, pp.PublicURL)
	set(&p.ListenAddr, pp.ListenAddr)
	set(&p.APIBase, pp.APIBase)
	set(&p.LoginBase, pp.LoginBase)
	set(&p.MobileBase, pp.MobileBase)
	if pp.PublicURL == nil && p.AuthDomain != old.AuthDomain {
		if u, err := url.Parse(old.PublicURL); err == nil && u.Host == old.AuthDomain {
			u.Host = p.AuthDomain
			p.PublicURL = u.String()
		}
	}
	return p
}

// changes lists the settings that differ between old and cur, in the order of the form.
func changes(old, cur Platform) []Change {
	fields := []struct {
		name     string
		old, cur string
		secret   bool
	}{
		{FieldAppSecret, old.AppSecret, cur.AppSecret, true},
		{FieldToken, old.Token, cur.Token, true},
		{FieldAESKey, old.EncodingAESKey, cur.EncodingAESKey, true},
		{FieldAuthDomain, old.AuthDomain, cur.AuthDomain, false},
		{FieldPublicURL, old.PublicURL, cur.PublicURL, false},
		{FieldListenAddr, old.ListenAddr, cur.ListenAddr, false},
		{FieldAPIBase, old.APIBase, cur.APIBase, false},
		{FieldLoginBase, old.LoginBase, cur.LoginBase, false},
		{FieldMobileBase, old.MobileBase, cur.MobileBase, false},
	}
	var out []Change
	for _, f := range fields {
		if f.old == f.cur {
			continue
		}
		c := Change{Field: f.name, Old: f.old, New: f.cur, Secret: f.secret}
		if f.secret {
			c.Old, c.New = Mask(f.old), Mask(f.cur)
		}
		out = append(out, c)
	}
	return out
}

// PatchPlatform changes the given settings of a platform, validated as a whole like a new
// one. Its ticket, tokens and authorizers stay. It returns the platform as stored and what
// changed (nothing is written when nothing changed).
func (e *Engine) PatchPlatform(ctx context.Context, componentAppID string, patch PlatformPatch) (Platform, []Change, error) {
	old, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return old, nil, err
	}
	p := patch.Apply(old)
	if err := ValidatePlatform(&p); err != nil {
		return p, nil, err
	}
	diff := changes(old, p)
	if len(diff) == 0 {
		return old, nil, nil
	}
	if p, err = e.UpdatePlatform(ctx, p); err != nil {
		return p, nil, err
	}
	names := make([]string, len(diff))
	for i, c := range diff {
		names[i] = c.Field
	}
	e.emit(ctx, Event{Kind: EventPlatformUpdated, ComponentAppID: p.ComponentAppID,
		Message: "platform settings changed: " + strings.Join(names, ", ")})
	return p, diff, nil
}

// Removal is what removing a platform deletes, and what it keeps.
type Removal struct {
	Platform          Platform
	Authorizers       int  // accounts whose records go
	AccessTokens      int  // of them, holding an access token
	HasTicket         bool // the current component_verify_ticket (and the ticket history)
	HasComponentToken bool
	Kept              KeptHistory // the refresh-token history, kept
}

// KeptHistory counts a platform's refresh-token history: every refresh token WeChat handed
// out for its accounts, kept when the platform is removed.
type KeptHistory struct {
	Accounts int // accounts with at least one
	Tokens   int
}

// PlanRemoval says what RemovePlatform would delete and keep, without changing anything.
func (e *Engine) PlanRemoval(ctx context.Context, componentAppID string) (Removal, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return Removal{}, err
	}
	r := Removal{Platform: p}
	list, err := e.loadAuthorizers(ctx, p.ComponentAppID)
	if err != nil {
		return r, err
	}
	r.Authorizers = len(list)
	for _, a := range list {
		if a.AccessToken != "" {
			r.AccessTokens++
		}
	}
	if _, r.HasTicket, err = e.CurrentTicket(ctx, p.ComponentAppID); err != nil {
		return r, err
	}
	if _, err := e.loadComponentToken(ctx, p.ComponentAppID); err == nil {
		r.HasComponentToken = true
	}
	r.Kept, err = e.KeptRefreshTokens(ctx, p.ComponentAppID, false)
	return r, err
}

// KeptRefreshTokens counts the refresh-token history of a component appid; with onlyEarlier,
// only that of accounts not stored now (those of a platform removed and added again, which
// `ImportAuthorizers` restores). It works for an appid that is not configured too.
func (e *Engine) KeptRefreshTokens(ctx context.Context, componentAppID string, onlyEarlier bool) (KeptHistory, error) {
	rows, err := e.db.RefreshTokens(ctx, componentAppID)
	if err != nil {
		return KeptHistory{}, err
	}
	stored := map[string]bool{}
	if onlyEarlier {
		list, err := e.loadAuthorizers(ctx, componentAppID)
		if err != nil {
			return KeptHistory{}, err
		}
		for _, a := range list {
			stored[a.AppID] = true
		}
	}
	var k KeptHistory
	seen := map[string]bool{}
	for _, r := range rows {
		if stored[r.AppID] {
			continue
		}
		k.Tokens++
		if !seen[r.AppID] {
			seen[r.AppID] = true
			k.Accounts++
		}
	}
	return k, nil
}
