package wxsim

import "wxauth/core/wxapi"

// apiComponentToken: api_component_token (reference §1.1). A new token on every call.
func (s *Sim) apiComponentToken(c *call) (any, *apiErr) {
	var req wxapi.ComponentTokenRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	ps, e := s.platformByAppID(req.ComponentAppID)
	if e != nil {
		return nil, e
	}
	c.owner = ps.platform.ComponentAppID
	if e := s.whitelisted(ps, c.ip); e != nil {
		return nil, e
	}
	if e := s.useQuota(c, ps.platform.ComponentAppID); e != nil {
		return nil, e
	}
	switch {
	case req.ComponentAppSecret == "":
		return nil, errc(41004)
	case req.ComponentAppSecret != ps.platform.ComponentAppSecret:
		return nil, errc(40125)
	}
	issued, known := ps.tickets[req.ComponentVerifyTicket]
	if !known {
		issued, known = ps.tickets[s.normalizeCode(req.ComponentVerifyTicket, ticketPrefix)]
	}
	switch {
	case !known:
		return nil, errc(61006)
	case !c.now.Before(issued.Add(s.settings.TicketTTL.D())):
		return nil, errc(61005)
	}
	tok, ttl := s.mintComponentToken(ps, c.now)
	return wxapi.ComponentToken{ComponentAccessToken: tok, ExpiresIn: seconds(ttl)}, nil
}

// apiCreatePreAuthCode: api_create_preauthcode (§1.2), single use, 1800 s.
func (s *Sim) apiCreatePreAuthCode(c *call) (any, *apiErr) {
	var req wxapi.ComponentAppIDRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	code := s.gen.preAuthCode()
	ttl := s.settings.PreAuthCodeTTL.D()
	s.preAuthCodes[code] = &preAuthRec{component: ps.platform.ComponentAppID, expires: c.now.Add(ttl)}
	s.stats.preAuthCodes++
	return wxapi.PreAuthCode{PreAuthCode: code, ExpiresIn: seconds(ttl)}, nil
}

// apiQueryAuth: api_query_auth (§1.3). 61009 for an unknown code, 61010 for a used or expired
// one; the exchange mints an authorizer token and reveals the refresh token.
func (s *Sim) apiQueryAuth(c *call) (any, *apiErr) {
	var req wxapi.QueryAuthRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	code := s.normalizeCode(req.AuthorizationCode, authCodePrefix)
	rec, ok := s.authCodes[code]
	if !ok || rec.component != ps.platform.ComponentAppID {
		return nil, errc(61009)
	}
	if rec.used || !c.now.Before(rec.expires) {
		return nil, errc(61010)
	}
	a, ok := s.authorizations[authKey(rec.component, rec.authorizer)]
	if !ok {
		return nil, errc(61003) // revoked after the code was issued
	}
	rec.used = true
	a.exchanged = true
	tok, ttl := s.mintAuthorizerToken(a, c.now)
	return wxapi.QueryAuth{AuthorizationInfo: wxapi.AuthorizationInfo{
		AuthorizerAppID:        a.appid,
		AuthorizerAccessToken:  tok,
		ExpiresIn:              seconds(ttl),
		AuthorizerRefreshToken: a.refreshToken,
		FuncInfo:               funcInfo(a.funcIDs, s.accounts[a.appid].IsMiniProgram()),
	}}, nil
}

// apiAuthorizerToken: api_authorizer_token (§1.4). The refresh token is stable; the previous
// one works for the grace period after a re-authorization rotated it, then 61023.
func (s *Sim) apiAuthorizerToken(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerTokenRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	rt := req.AuthorizerRefreshToken
	valid := rt != "" && (rt == a.refreshToken || (rt == a.oldRefreshToken && c.now.Before(a.oldRefreshUntil)))
	if !valid {
		return nil, errc(61023)
	}
	tok, ttl := s.mintAuthorizerToken(a, c.now)
	return wxapi.AuthorizerToken{AuthorizerAccessToken: tok, ExpiresIn: seconds(ttl), AuthorizerRefreshToken: a.refreshToken}, nil
}

// apiStartPushTicket: api_start_push_ticket (§1.8). Pushes a ticket at once; errmsg "ok" when
// pushing was not in a normal state (no successful push yet, or the last one failed).
func (s *Sim) apiStartPushTicket(c *call) (any, *apiErr) {
	var req wxapi.StartPushTicketRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	ps, e := s.platformBySecret(c, req.ComponentAppID, req.ComponentSecret)
	if e != nil {
		return nil, e
	}
	if e := s.useQuota(c, ps.platform.ComponentAppID); e != nil {
		return nil, e
	}
	resp := okBody
	if ps.pushNormal {
		resp.ErrMsg = "in a normal state"
	}
	id := ps.platform.ComponentAppID
	c.after = append(c.after, func() { s.pushTicketAsync(id) })
	return resp, nil
}
