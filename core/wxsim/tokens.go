package wxsim

import (
	"regexp"
	"sync"
	"time"
)

// tokenKind tells component access tokens from authorizer access tokens.
type tokenKind int

const (
	kindComponent tokenKind = iota + 1
	kindAuthorizer
)

func (k tokenKind) String() string {
	if k == kindComponent {
		return "component"
	}
	return "authorizer"
}

// tokenRec is an issued access token. A superseded token keeps working until graceUntil.
type tokenRec struct {
	kind         tokenKind
	component    string
	authorizer   string // "" for a component token
	expires      time.Time
	supersededAt time.Time // zero while the token is the latest
	graceUntil   time.Time
}

// tokenShapeRe is what a WeChat access token looks like; anything else is 40014.
var tokenShapeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{2}_[A-Za-z0-9_-]{20,300}$`) })

// mintComponentToken issues a new component_access_token. The previous one stays valid for the
// overlap (5 min); the one before it is forgotten at once, so that frequent refreshes
// invalidate old tokens as WeChat warns they do.
func (s *Sim) mintComponentToken(ps *platformState, now time.Time) (string, time.Duration) {
	ttl := s.settings.ComponentTokenTTL.D()
	tok := s.gen.token()
	s.supersede(ps.previousToken, ps.currentToken, now, s.settings.ComponentTokenOverlap.D())
	ps.previousToken, ps.currentToken = ps.currentToken, tok
	s.tokens[tok] = &tokenRec{kind: kindComponent, component: ps.platform.ComponentAppID, expires: now.Add(ttl)}
	s.stats.componentTokens++
	return tok, ttl
}

// mintAuthorizerToken does the same for an authorization's authorizer_access_token.
func (s *Sim) mintAuthorizerToken(a *authorization, now time.Time) (string, time.Duration) {
	ttl := s.settings.AuthorizerTokenTTL.D()
	tok := s.gen.token()
	s.supersede(a.previousToken, a.currentToken, now, s.settings.AuthorizerTokenOverlap.D())
	a.previousToken, a.currentToken = a.currentToken, tok
	s.tokens[tok] = &tokenRec{kind: kindAuthorizer, component: a.component, authorizer: a.appid, expires: now.Add(ttl)}
	s.stats.authorizerTokens++
	return tok, ttl
}

// supersede forgets the oldest token and gives the current one its grace period.
func (s *Sim) supersede(oldest, current string, now time.Time, overlap time.Duration) {
	if oldest != "" {
		delete(s.tokens, oldest)
	}
	if rec, ok := s.tokens[current]; ok {
		rec.supersededAt = now
		rec.graceUntil = now.Add(overlap)
	}
}

// revokeAuthorizerTokens forgets an authorization's tokens (after unauthorize).
func (s *Sim) revokeAuthorizerTokens(a *authorization) {
	delete(s.tokens, a.currentToken)
	delete(s.tokens, a.previousToken)
	a.currentToken, a.previousToken = "", ""
}

// tokenStatus says whether tok is usable now: the record, or the errcode (41001, 40014, 40001,
// 42001) and, for a valid token, how long it still works.
func (s *Sim) tokenStatus(tok string, now time.Time) (*tokenRec, int, time.Duration) {
	if tok == "" {
		return nil, 41001, 0
	}
	rec, ok := s.tokens[tok]
	if !ok {
		if !tokenShapeRe().MatchString(tok) {
			return nil, 40014, 0
		}
		return nil, 40001, 0
	}
	if !rec.supersededAt.IsZero() && !now.Before(rec.graceUntil) {
		if now.Before(rec.expires) {
			return nil, 40001, 0 // superseded: "not latest"
		}
	}
	if !now.Before(rec.expires) {
		return nil, 42001, 0
	}
	left := rec.expires.Sub(now)
	if !rec.supersededAt.IsZero() && rec.graceUntil.Sub(now) < left {
		left = rec.graceUntil.Sub(now)
	}
	return rec, 0, left
}

// TokenInfo is what GET /sim/check-token says about a token.
type TokenInfo struct {
	Valid bool   `json:"valid"`
	Kind  string `json:"kind,omitempty"` // "component" or "authorizer"
	AppID string `json:"appid,omitempty"`
	// ComponentAppID is the platform an authorizer token was issued through.
	ComponentAppID string `json:"component_appid,omitempty"`
	ExpiresIn      int    `json:"expires_in"` // seconds it still works (0 when invalid)
	// ErrCode is what an API call with the token would answer (40001, 42001, …) when invalid.
	ErrCode int `json:"errcode,omitempty"`
}

// CheckToken says whether a component or authorizer access token works now.
func (s *Sim) CheckToken(tok string) TokenInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, code, left := s.tokenStatus(tok, s.clock.Now())
	if code != 0 {
		return TokenInfo{ErrCode: code}
	}
	info := TokenInfo{Valid: true, Kind: rec.kind.String(), AppID: rec.component, ExpiresIn: seconds(left)}
	if rec.kind == kindAuthorizer {
		info.AppID, info.ComponentAppID = rec.authorizer, rec.component
	}
	return info
}
