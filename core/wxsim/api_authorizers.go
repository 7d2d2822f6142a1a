package wxsim

import (
	"crypto/sha256"
	"encoding/hex"

	"wxauth/core/wxapi"
)

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
			AuthorizerRefreshToken: a.refreshToken,
			FuncInfo:               funcInfo(a.funcIDs, acc.IsMiniProgram()),
		},
	}, nil
}

// imageID is a stable pseudo media id for an account's pictures.
func imageID(appid, kind string) string {
	h := sha256.Sum256([]byte(kind + ":" + appid))
	return hex.EncodeToString(h[:])
}

// authorizerInfo is authorizer_info with every key of a real answer (reference §1.5 and the
// captures behind it), in the same order; empty lists are sent as [] like WeChat's.
func authorizerInfo(acc Account) wxapi.AuthorizerInfo {
	info := wxapi.AuthorizerInfo{
		NickName:        acc.NickName,
		HeadImg:         "http://wx.qlogo.cn/mmopen/" + imageID(acc.AppID, "head") + "/0",
		ServiceTypeInfo: wxapi.IDField{ID: 2}, // service account
		VerifyTypeInfo:  wxapi.IDField{ID: 0}, // WeChat-verified
		UserName:        acc.UserName,
		Alias:           acc.Alias,
		QrcodeURL:       "http://mmbiz.qpic.cn/mmbiz_jpg/" + imageID(acc.AppID, "qrcode") + "/0",
		Idc:             1,
		PrincipalName:   acc.PrincipalName,
		Signature:       acc.Signature,
		AccountStatus:   1,
	}
	if acc.IsMiniProgram() {
		zero := 0
		info.ServiceTypeInfo.ID = 0
		info.MiniProgramInfo = &wxapi.MiniProgramInfo{
			Network:    emptyNetwork(),
			Categories: []wxapi.MiniProgramCategory{{First: "工具", Second: "效率"}},
		}
		info.RegisterType = &zero
		info.BasicConfig = &wxapi.BasicConfig{IsPhoneConfigured: true}
	}
	return info
}

// emptyNetwork is a mini program with no server domains configured: every list present and
// empty, since clients index these keys without checking for null.
func emptyNetwork() wxapi.MiniProgramNetwork {
	none := func() []string { return []string{} }
	return wxapi.MiniProgramNetwork{
		RequestDomain: none(), WsRequestDomain: none(), UploadDomain: none(), DownloadDomain: none(),
		BizDomain: none(), UDPDomain: none(), TCPDomain: none(), PrefetchDNSDomain: none(),
		NewRequestDomain: none(), NewWsRequestDomain: none(), NewUploadDomain: none(), NewDownloadDomain: none(),
		NewBizDomain: none(), NewUDPDomain: none(), NewTCPDomain: none(), NewPrefetchDNSDomain: none(),
	}
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
	all := s.sortedAuthorizations(ps.platform.ComponentAppID)
	out := wxapi.AuthorizerList{TotalCount: len(all), List: []wxapi.AuthorizerListItem{}}
	for i := *req.Offset; i < len(all) && len(out.List) < count; i++ {
		a := all[i]
		item := wxapi.AuthorizerListItem{AuthorizerAppID: a.appid, AuthTime: a.authTime.Unix()}
		if a.exchanged {
			item.RefreshToken = a.refreshToken
		}
		out.List = append(out.List, item)
	}
	return out, nil
}

// accountBasicInfo is the full answer of getaccountbasicinfo; wxapi.AccountBasicInfo is an
// abridged client view, and the simulator answers with every field.
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
	if _, ok := s.authorizations[authKey(rec.component, rec.authorizer)]; !ok {
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
