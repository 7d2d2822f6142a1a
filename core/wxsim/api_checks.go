package wxsim

import (
	"bytes"
	"encoding/json"
	"net/netip"
)

// decode reads the JSON body into v; an empty or malformed body is 47001.
func (c *call) decode(v any) *apiErr {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return errc(47001)
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errc(47001)
	}
	return nil
}

// queryToken reads the token: component_access_token wins over access_token when both are
// sent (which one WeChat prefers is UNCONFIRMED; every SDK sends the former).
func (c *call) queryToken() string {
	q := c.req.URL.Query()
	if t := q.Get("component_access_token"); t != "" {
		return t
	}
	return q.Get("access_token")
}

// platformByAppID resolves a component appid given in a body: 41002 when missing, 61011 for
// a merchant account's appid, 40013 for anything else unknown.
func (s *Sim) platformByAppID(appid string) (*platformState, *apiErr) {
	if appid == "" {
		return nil, errc(41002)
	}
	if ps, ok := s.platforms[appid]; ok {
		return ps, nil
	}
	if _, ok := s.accounts[appid]; ok {
		return nil, errc(61011)
	}
	return nil, errc(40013)
}

// platformBySecret authenticates the token-free calls that carry the AppSecret in their body
// (api_start_push_ticket, clear_quota/v2): platform, IP whitelist, then the secret.
func (s *Sim) platformBySecret(c *call, componentAppID, secret string) (*platformState, *apiErr) {
	ps, e := s.platformByAppID(componentAppID)
	if e != nil {
		return nil, e
	}
	c.owner = ps.platform.ComponentAppID
	if e := s.whitelisted(ps, c.ip); e != nil {
		return nil, e
	}
	switch {
	case secret == "":
		return nil, errc(41004)
	case secret != ps.platform.ComponentAppSecret:
		return nil, errc(40125)
	}
	return ps, nil
}

// whitelisted enforces the platform's IP whitelist (61004).
func (s *Sim) whitelisted(ps *platformState, ip netip.Addr) *apiErr {
	if len(ps.whitelist) == 0 {
		return nil
	}
	for _, p := range ps.whitelist {
		if p.Contains(ip) {
			return nil
		}
	}
	return errc(61004)
}

// authenticate checks the query token against the kinds allowed and the whitelist of the
// platform it belongs to.
func (s *Sim) authenticate(c *call, kinds ...tokenKind) (*tokenRec, *platformState, *apiErr) {
	rec, code, _ := s.tokenStatus(c.queryToken(), c.now)
	if code != 0 {
		return nil, nil, errc(code)
	}
	ok := false
	for _, k := range kinds {
		ok = ok || rec.kind == k
	}
	if !ok {
		return nil, nil, errc(40001)
	}
	c.owner = rec.component
	if rec.kind == kindAuthorizer {
		c.owner = rec.authorizer
	}
	ps := s.platforms[rec.component]
	if e := s.whitelisted(ps, c.ip); e != nil {
		return nil, nil, e
	}
	return rec, ps, nil
}

// componentCall is the common prologue of component-token APIs: token, whitelist, body,
// component_appid matching the token (40013), quota.
func (s *Sim) componentCall(c *call, body any, componentAppID func() string) (*platformState, *apiErr) {
	_, ps, e := s.authenticate(c, kindComponent)
	if e != nil {
		return nil, e
	}
	if e := c.decode(body); e != nil {
		return nil, e
	}
	if id := componentAppID(); id == "" {
		return nil, errc(41002)
	} else if id != ps.platform.ComponentAppID {
		return nil, errc(40013)
	}
	if e := s.useQuota(c, ps.platform.ComponentAppID); e != nil {
		return nil, e
	}
	return ps, nil
}

// authorization finds an authorization of the platform: 40013 for a malformed appid, 61003
// when the account has not (or no longer) authorized the platform.
func (s *Sim) authorization(ps *platformState, appid string) (*authorization, *apiErr) {
	if appid == "" {
		return nil, errc(41002)
	}
	if validateAppID(appid) != nil {
		return nil, errc(40013)
	}
	a, ok := s.authorizations[authKey(ps.platform.ComponentAppID, appid)]
	if !ok {
		return nil, errc(61003)
	}
	return a, nil
}
