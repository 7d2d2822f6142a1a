package wxsim

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"wxauth/core/wxapi"
)

func seconds(d time.Duration) int { return int(d / time.Second) }

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
	c.owner = ps.p.ComponentAppID
	if e := s.whitelisted(ps, c.ip); e != nil {
		return nil, e
	}
	if e := s.useQuota(c, ps.p.ComponentAppID); e != nil {
		return nil, e
	}
	switch {
	case req.ComponentAppSecret == "":
		return nil, errc(41004)
	case req.ComponentAppSecret != ps.p.ComponentAppSecret:
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
	s.preAuth[code] = &preAuthRec{component: ps.p.ComponentAppID, expires: c.now.Add(ttl)}
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
	if !ok || rec.component != ps.p.ComponentAppID {
		return nil, errc(61009)
	}
	if rec.used || !c.now.Before(rec.expires) {
		return nil, errc(61010)
	}
	a, ok := s.auths[authKey(rec.component, rec.authorizer)]
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
		AuthorizerRefreshToken: a.refresh,
		FuncInfo:               funcInfo(a.funcIDs, s.accounts[a.appid].IsMiniProgram()),
	}}, nil
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
	a, ok := s.auths[authKey(ps.p.ComponentAppID, appid)]
	if !ok {
		return nil, errc(61003)
	}
	return a, nil
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
	valid := rt != "" && (rt == a.refresh || (rt == a.oldRefresh && c.now.Before(a.oldUntil)))
	if !valid {
		return nil, errc(61023)
	}
	tok, ttl := s.mintAuthorizerToken(a, c.now)
	return wxapi.AuthorizerToken{AuthorizerAccessToken: tok, ExpiresIn: seconds(ttl), AuthorizerRefreshToken: a.refresh}, nil
}

// apiGetAuthorizerInfo: api_get_authorizer_info (§1.5), with "\/" escapes like the real one.
func (s *Sim) apiGetAuthorizerInfo(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerAppIDRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	acc := s.accounts[a.appid]
	return wxapi.AuthorizerInfoResponse{
		AuthorizerInfo: authorizerInfo(acc),
		AuthorizationInfo: wxapi.AuthorizationInfo{
			AuthorizerAppID:        a.appid,
			AuthorizerRefreshToken: a.refresh,
			FuncInfo:               funcInfo(a.funcIDs, acc.IsMiniProgram()),
		},
	}, nil
}

// imageID is a stable pseudo media id for an account's pictures.
func imageID(appid, kind string) string {
	h := sha256.Sum256([]byte(kind + ":" + appid))
	return hex.EncodeToString(h[:])
}

func authorizerInfo(acc Account) wxapi.AuthorizerInfo {
	info := wxapi.AuthorizerInfo{
		NickName:        acc.NickName,
		HeadImg:         "http://wx.qlogo.cn/mmopen/" + imageID(acc.AppID, "head") + "/0",
		ServiceTypeInfo: wxapi.IDField{ID: 2}, // service account
		VerifyTypeInfo:  wxapi.IDField{ID: 0}, // WeChat-verified
		UserName:        acc.UserName,
		PrincipalName:   acc.PrincipalName,
		QrcodeURL:       "http://mmbiz.qpic.cn/mmbiz_jpg/" + imageID(acc.AppID, "qrcode") + "/0",
		AccountStatus:   1,
		Idc:             1,
	}
	if acc.IsMiniProgram() {
		zero := 0
		info.ServiceTypeInfo.ID = 0
		info.MiniProgramInfo = &wxapi.MiniProgramInfo{
			Network: wxapi.MiniProgramNetwork{
				RequestDomain: []string{}, WsRequestDomain: []string{}, UploadDomain: []string{},
				DownloadDomain: []string{}, BizDomain: []string{}, UDPDomain: []string{},
			},
			Categories: []wxapi.MiniProgramCategory{{First: "工具", Second: "效率"}},
		}
		info.RegisterType = &zero
		info.BasicConfig = &wxapi.BasicConfig{IsPhoneConfigured: true}
	}
	return info
}

// apiGetAuthorizerList: api_get_authorizer_list (§1.6). refresh_token is empty until the
// authorization was exchanged with api_query_auth, as the knowledge base says.
func (s *Sim) apiGetAuthorizerList(c *call) (any, *apiErr) {
	var req struct {
		ComponentAppID string `json:"component_appid"`
		Offset         *int   `json:"offset"`
		Count          *int   `json:"count"`
	}
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	if req.Offset == nil || req.Count == nil || *req.Offset < 0 || *req.Count <= 0 {
		return nil, errc(40097)
	}
	count := min(*req.Count, wxapi.MaxAuthorizerListCount)
	all := s.sortedAuths(ps.p.ComponentAppID)
	out := wxapi.AuthorizerList{TotalCount: len(all), List: []wxapi.AuthorizerListItem{}}
	for i := *req.Offset; i < len(all) && len(out.List) < count; i++ {
		a := all[i]
		item := wxapi.AuthorizerListItem{AuthorizerAppID: a.appid, AuthTime: a.authTime.Unix()}
		if a.exchanged {
			item.RefreshToken = a.refresh
		}
		out.List = append(out.List, item)
	}
	return out, nil
}

// Authorizer options (§1.7): values by name, and which names accept which values.
var optionValues = map[string]map[string]bool{
	"location_report":  {"0": true, "1": true, "2": true},
	"voice_recognize":  {"0": true, "1": true},
	"customer_service": {"0": true, "1": true},
}

// defaultOptions are an authorization's options before anyone sets them.
func defaultOptions(acc Account) map[string]string {
	if acc.IsMiniProgram() {
		return map[string]string{"location_report": "0", "voice_recognize": "0", "customer_service": "0"}
	}
	return map[string]string{"location_report": "0", "voice_recognize": "1", "customer_service": "0"}
}

// optionReadOnly: location reporting and voice recognition are official-account message
// features; on a mini program they cannot be changed (61025).
func optionReadOnly(acc Account, name string) bool {
	return acc.IsMiniProgram() && (name == "location_report" || name == "voice_recognize")
}

func (s *Sim) getOption(a *authorization, name string) (string, *apiErr) {
	if _, ok := optionValues[name]; !ok {
		return "", errc(61012)
	}
	return a.options[name], nil
}

func (s *Sim) setOption(a *authorization, name, value string) *apiErr {
	allowed, ok := optionValues[name]
	if !ok {
		return errc(61012)
	}
	if optionReadOnly(s.accounts[a.appid], name) {
		return errc(61025)
	}
	if !allowed[value] {
		return errc(61013)
	}
	a.options[name] = value
	return nil
}

func (s *Sim) apiGetOptionLegacy(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	v, e := s.getOption(a, req.OptionName)
	if e != nil {
		return nil, e
	}
	return wxapi.AuthorizerOption{AuthorizerAppID: a.appid, OptionName: req.OptionName, OptionValue: v}, nil
}

func (s *Sim) apiSetOptionLegacy(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	if e := s.setOption(a, req.OptionName, req.OptionValue); e != nil {
		return nil, e
	}
	return okBody, nil
}

// optionNewTarget resolves the authorization of the newer option APIs, whose docs disagree on
// the token (UNCONFIRMED): an authorizer token names the account itself; a component token
// needs authorizer_appid in the body, as WxJava sends it.
func (s *Sim) optionNewTarget(c *call, req *wxapi.AuthorizerOptionRequest) (*authorization, *apiErr) {
	rec, ps, e := s.authenticate(c, kindComponent, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	if e := c.decode(req); e != nil {
		return nil, e
	}
	appid := req.AuthorizerAppID
	if rec.kind == kindAuthorizer {
		appid = rec.authorizer
	}
	if e := s.useQuota(c, c.owner); e != nil {
		return nil, e
	}
	return s.authorization(ps, appid)
}

type optionNew struct {
	OptionName  string `json:"option_name"`
	OptionValue string `json:"option_value"`
}

func (s *Sim) apiGetOptionNew(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	a, e := s.optionNewTarget(c, &req)
	if e != nil {
		return nil, e
	}
	v, e := s.getOption(a, req.OptionName)
	if e != nil {
		return nil, e
	}
	return optionNew{OptionName: req.OptionName, OptionValue: v}, nil
}

func (s *Sim) apiSetOptionNew(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	a, e := s.optionNewTarget(c, &req)
	if e != nil {
		return nil, e
	}
	if e := s.setOption(a, req.OptionName, req.OptionValue); e != nil {
		return nil, e
	}
	return okBody, nil
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
	if e := s.useQuota(c, ps.p.ComponentAppID); e != nil {
		return nil, e
	}
	resp := okBody
	if ps.pushNormal {
		resp.ErrMsg = "in a normal state"
	}
	id := ps.p.ComponentAppID
	c.after = append(c.after, func() { s.pushTicketAsync(id) })
	return resp, nil
}

// apiComponentClearQuota: the legacy component/clear_quota resets the platform's own counters.
func (s *Sim) apiComponentClearQuota(c *call) (any, *apiErr) {
	var req wxapi.ComponentAppIDRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	if e := s.clearQuota(ps.p.ComponentAppID, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

// apiClearQuota: the generic cgi-bin/clear_quota, {"appid"} of the token's own account.
func (s *Sim) apiClearQuota(c *call) (any, *apiErr) {
	_, _, e := s.authenticate(c, kindComponent, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	var req struct {
		AppID string `json:"appid"`
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	switch {
	case req.AppID == "":
		return nil, errc(41002)
	case req.AppID != c.owner:
		return nil, errc(40013)
	}
	if e := s.clearQuota(req.AppID, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

// apiClearQuotaV2: component/clear_quota/v2 with the AppSecret, for the platform or (appid
// set) one of its authorizers. It works even when fetching a token hits 45009.
func (s *Sim) apiClearQuotaV2(c *call) (any, *apiErr) {
	var req wxapi.ClearQuotaV2Request
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	ps, e := s.platformBySecret(c, req.ComponentAppID, req.AppSecret)
	if e != nil {
		return nil, e
	}
	target := ps.p.ComponentAppID
	if req.AppID != "" {
		a, e := s.authorization(ps, req.AppID)
		if e != nil {
			return nil, e
		}
		target = a.appid
	}
	if e := s.clearQuota(target, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

type quotaResp struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	Quota   struct {
		DailyLimit int `json:"daily_limit"`
		Used       int `json:"used"`
		Remain     int `json:"remain"`
	} `json:"quota"`
}

// apiQuotaGet: openapi/quota/get for the token's account.
func (s *Sim) apiQuotaGet(c *call) (any, *apiErr) {
	if _, _, e := s.authenticate(c, kindComponent, kindAuthorizer); e != nil {
		return nil, e
	}
	var req wxapi.QuotaGetRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	var ep *endpoint
	for _, x := range s.endpoints() {
		if x.path == req.CgiPath && x.quota {
			ep = x
		}
	}
	if ep == nil {
		return nil, errc(76021)
	}
	limit := s.settings.DailyQuota[ep.name]
	used := s.quotaCounter(c.owner, ep.name, c.now).used
	resp := quotaResp{ErrMsg: "ok"}
	resp.Quota.DailyLimit, resp.Quota.Used, resp.Quota.Remain = limit, used, max(limit-used, 0)
	return resp, nil
}

type ridResp struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	Request struct {
		InvokeTime   int64  `json:"invoke_time"`
		CostInMs     int    `json:"cost_in_ms"`
		RequestURL   string `json:"request_url"`
		RequestBody  string `json:"request_body"`
		ResponseBody string `json:"response_body"`
		ClientIP     string `json:"client_ip"`
	} `json:"request"`
}

// apiRidGet: openapi/rid/get. Only the account that made the call may look it up (76003);
// rids are kept 7 days (76001).
func (s *Sim) apiRidGet(c *call) (any, *apiErr) {
	if _, _, e := s.authenticate(c, kindComponent, kindAuthorizer); e != nil {
		return nil, e
	}
	var req wxapi.RidGetRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if !ridRe.MatchString(req.Rid) {
		return nil, errc(76002)
	}
	rec, ok := s.rids[req.Rid]
	if !ok || c.now.Sub(rec.invokeTime) > ridRetention {
		return nil, errc(76001)
	}
	if rec.owner != c.owner {
		return nil, errc(76003)
	}
	resp := ridResp{ErrMsg: "ok"}
	resp.Request.InvokeTime = rec.invokeTime.Unix()
	resp.Request.CostInMs = rec.costMs
	resp.Request.RequestURL = rec.requestURL
	resp.Request.RequestBody = rec.requestBody
	resp.Request.ResponseBody = rec.responseBody
	resp.Request.ClientIP = rec.clientIP
	return resp, nil
}

type accountBasicInfo struct {
	ErrCode        int    `json:"errcode"`
	ErrMsg         string `json:"errmsg"`
	AppID          string `json:"appid"`
	AccountType    int    `json:"account_type"`
	PrincipalType  int    `json:"principal_type"`
	PrincipalName  string `json:"principal_name"`
	RealnameStatus int    `json:"realname_status"`
	WxVerifyInfo   struct {
		QualificationVerify bool `json:"qualification_verify"`
		NamingVerify        bool `json:"naming_verify"`
	} `json:"wx_verify_info"`
	SignatureInfo struct {
		Signature       string `json:"signature"`
		ModifyUsedCount int    `json:"modify_used_count"`
		ModifyQuota     int    `json:"modify_quota"`
	} `json:"signature_info"`
	HeadImageInfo struct {
		HeadImageURL    string `json:"head_image_url"`
		ModifyUsedCount int    `json:"modify_used_count"`
		ModifyQuota     int    `json:"modify_quota"`
	} `json:"head_image_info"`
	Nickname string `json:"nickname"`
}

// apiAccountBasicInfo: cgi-bin/account/getaccountbasicinfo, an API called with an authorizer
// token, so that a token can be proven to work. It obeys the platform's whitelist (61004).
func (s *Sim) apiAccountBasicInfo(c *call) (any, *apiErr) {
	rec, _, e := s.authenticate(c, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	if _, ok := s.auths[authKey(rec.component, rec.authorizer)]; !ok {
		return nil, errc(40001)
	}
	if e := s.useQuota(c, rec.authorizer); e != nil {
		return nil, e
	}
	acc := s.accounts[rec.authorizer]
	out := accountBasicInfo{ErrMsg: "ok", AppID: acc.AppID, AccountType: 2, PrincipalType: 1,
		PrincipalName: acc.PrincipalName, RealnameStatus: 1, Nickname: acc.NickName}
	if acc.IsMiniProgram() {
		out.AccountType = 3
	}
	out.WxVerifyInfo.QualificationVerify, out.WxVerifyInfo.NamingVerify = true, true
	out.SignatureInfo.ModifyQuota = 5
	out.HeadImageInfo.HeadImageURL = "http://mmbiz.qpic.cn/mmbiz/" + imageID(acc.AppID, "head") + "/0"
	out.HeadImageInfo.ModifyQuota = 5
	return out, nil
}

// platformBySecret authenticates the token-free calls that carry the AppSecret in their body
// (api_start_push_ticket, clear_quota/v2): platform, IP whitelist, then the secret.
func (s *Sim) platformBySecret(c *call, componentAppID, secret string) (*platformState, *apiErr) {
	ps, e := s.platformByAppID(componentAppID)
	if e != nil {
		return nil, e
	}
	c.owner = ps.p.ComponentAppID
	if e := s.whitelisted(ps, c.ip); e != nil {
		return nil, e
	}
	switch {
	case secret == "":
		return nil, errc(41004)
	case secret != ps.p.ComponentAppSecret:
		return nil, errc(40125)
	}
	return ps, nil
}
