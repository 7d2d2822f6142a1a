// Package wxapi is the typed client for WeChat's third-party-platform (component) endpoints,
// with the wire types the simulator shares, the error catalogue, the authorization-link
// builders and the auth-code parser.
//
// Reference: shared/reference/wechat-component-api.md §0–§2, §5.
package wxapi

// API paths, relative to the base URL (https://api.weixin.qq.com).
const (
	PathComponentToken       = "/cgi-bin/component/api_component_token"
	PathCreatePreAuthCode    = "/cgi-bin/component/api_create_preauthcode"
	PathQueryAuth            = "/cgi-bin/component/api_query_auth"
	PathAuthorizerToken      = "/cgi-bin/component/api_authorizer_token"
	PathGetAuthorizerInfo    = "/cgi-bin/component/api_get_authorizer_info"
	PathGetAuthorizerList    = "/cgi-bin/component/api_get_authorizer_list"
	PathGetAuthorizerOption  = "/cgi-bin/component/api_get_authorizer_option"
	PathSetAuthorizerOption  = "/cgi-bin/component/api_set_authorizer_option"
	PathStartPushTicket      = "/cgi-bin/component/api_start_push_ticket"
	PathComponentClearQuota  = "/cgi-bin/component/clear_quota"
	PathClearQuotaV2         = "/cgi-bin/component/clear_quota/v2"
	PathQuotaGet             = "/cgi-bin/openapi/quota/get"
	PathRidGet               = "/cgi-bin/openapi/rid/get"
	PathGetAccountBasicInfo  = "/cgi-bin/account/getaccountbasicinfo" // an authorizer-token API
	PathComponentLoginPage   = "/cgi-bin/componentloginpage"
	PathBindComponent        = "/wxaopen/safe/bindcomponent"
	PathBindComponentLegacy  = "/safe/bindcomponent"
	DefaultAPIBase           = "https://api.weixin.qq.com"
	DefaultLoginBase         = "https://mp.weixin.qq.com"
	DefaultMobileBase        = "https://open.weixin.qq.com"
	DefaultAuthCodeExpiresIn = 3600
)

// Status is the errcode/errmsg pair. Token-style APIs omit it on success; a missing errcode is 0.
type Status struct {
	ErrCode int    `json:"errcode,omitempty"`
	ErrMsg  string `json:"errmsg,omitempty"`
}

// ComponentTokenRequest is the body of api_component_token.
type ComponentTokenRequest struct {
	ComponentAppID        string `json:"component_appid"`
	ComponentAppSecret    string `json:"component_appsecret"`
	ComponentVerifyTicket string `json:"component_verify_ticket"`
}

// ComponentToken is the response of api_component_token.
type ComponentToken struct {
	ComponentAccessToken string `json:"component_access_token"`
	ExpiresIn            int    `json:"expires_in"`
}

// ComponentAppIDRequest is the body of api_create_preauthcode and clear_quota.
type ComponentAppIDRequest struct {
	ComponentAppID string `json:"component_appid"`
}

// PreAuthCode is the response of api_create_preauthcode.
type PreAuthCode struct {
	PreAuthCode string `json:"pre_auth_code"`
	ExpiresIn   int    `json:"expires_in"`
}

// QueryAuthRequest is the body of api_query_auth.
type QueryAuthRequest struct {
	ComponentAppID    string `json:"component_appid"`
	AuthorizationCode string `json:"authorization_code"`
}

// ConfirmInfo appears on some mini-program func_info entries.
type ConfirmInfo struct {
	NeedConfirm    int `json:"need_confirm"`
	AlreadyConfirm int `json:"already_confirm"`
	CanConfirm     int `json:"can_confirm"`
}

// FuncInfo is one granted permission set.
type FuncInfo struct {
	FuncscopeCategory struct {
		ID int `json:"id"`
	} `json:"funcscope_category"`
	ConfirmInfo *ConfirmInfo `json:"confirm_info,omitempty"`
}

// NewFuncInfo builds a FuncInfo for permission set id.
func NewFuncInfo(id int) FuncInfo {
	var f FuncInfo
	f.FuncscopeCategory.ID = id
	return f
}

// AuthorizationInfo is returned by api_query_auth and api_get_authorizer_info.
type AuthorizationInfo struct {
	AuthorizerAppID        string     `json:"authorizer_appid"`
	AuthorizerAccessToken  string     `json:"authorizer_access_token,omitempty"`
	ExpiresIn              int        `json:"expires_in,omitempty"`
	AuthorizerRefreshToken string     `json:"authorizer_refresh_token,omitempty"`
	FuncInfo               []FuncInfo `json:"func_info"`
	// LegacyAppID is the key some very old responses used instead of authorizer_appid.
	LegacyAppID string `json:"appid,omitempty"`
}

// AppID returns authorizer_appid, falling back to the legacy key.
func (a AuthorizationInfo) AppID() string {
	if a.AuthorizerAppID != "" {
		return a.AuthorizerAppID
	}
	return a.LegacyAppID
}

// QueryAuth is the response of api_query_auth.
type QueryAuth struct {
	AuthorizationInfo AuthorizationInfo `json:"authorization_info"`
}

// AuthorizerTokenRequest is the body of api_authorizer_token.
type AuthorizerTokenRequest struct {
	ComponentAppID         string `json:"component_appid"`
	AuthorizerAppID        string `json:"authorizer_appid"`
	AuthorizerRefreshToken string `json:"authorizer_refresh_token"`
}

// AuthorizerToken is the response of api_authorizer_token.
type AuthorizerToken struct {
	AuthorizerAccessToken  string `json:"authorizer_access_token"`
	ExpiresIn              int    `json:"expires_in"`
	AuthorizerRefreshToken string `json:"authorizer_refresh_token"`
}

// AuthorizerAppIDRequest is the body of api_get_authorizer_info.
type AuthorizerAppIDRequest struct {
	ComponentAppID  string `json:"component_appid"`
	AuthorizerAppID string `json:"authorizer_appid"`
}

// IDField is WeChat's {"id":n} wrapper.
type IDField struct {
	ID int `json:"id"`
}

// BusinessInfo flags, each 0 or 1.
type BusinessInfo struct {
	OpenStore int `json:"open_store"`
	OpenScan  int `json:"open_scan"`
	OpenPay   int `json:"open_pay"`
	OpenCard  int `json:"open_card"`
	OpenShake int `json:"open_shake"`
}

// MiniProgramNetwork is the server-domain configuration of a mini program. Real answers carry
// every key, empty ones as []; the New* lists are domains added but not yet in effect. Older
// answers lack TCPDomain, PrefetchDNSDomain and the New* keys; those decode as nil.
type MiniProgramNetwork struct {
	RequestDomain        []string `json:"RequestDomain"`
	WsRequestDomain      []string `json:"WsRequestDomain"`
	UploadDomain         []string `json:"UploadDomain"`
	DownloadDomain       []string `json:"DownloadDomain"`
	BizDomain            []string `json:"BizDomain"`
	UDPDomain            []string `json:"UDPDomain"`
	TCPDomain            []string `json:"TCPDomain"`
	PrefetchDNSDomain    []string `json:"PrefetchDNSDomain"`
	NewRequestDomain     []string `json:"NewRequestDomain"`
	NewWsRequestDomain   []string `json:"NewWsRequestDomain"`
	NewUploadDomain      []string `json:"NewUploadDomain"`
	NewDownloadDomain    []string `json:"NewDownloadDomain"`
	NewBizDomain         []string `json:"NewBizDomain"`
	NewUDPDomain         []string `json:"NewUDPDomain"`
	NewTCPDomain         []string `json:"NewTCPDomain"`
	NewPrefetchDNSDomain []string `json:"NewPrefetchDNSDomain"`
}

// MiniProgramCategory is one first/second category pair.
type MiniProgramCategory struct {
	First  string `json:"first"`
	Second string `json:"second"`
}

// MiniProgramInfo is present (under the PascalCase key) only for mini programs.
type MiniProgramInfo struct {
	Network     MiniProgramNetwork    `json:"network"`
	Categories  []MiniProgramCategory `json:"categories"`
	VisitStatus int                   `json:"visit_status"`
}

// BasicConfig of a mini program.
type BasicConfig struct {
	IsPhoneConfigured bool `json:"is_phone_configured"`
	IsEmailConfigured bool `json:"is_email_configured"`
}

// AuthorizerInfo describes an authorized account (official account or mini program). The
// fields are in the key order of real answers; alias and signature are always sent, empty
// when unset.
type AuthorizerInfo struct {
	NickName        string           `json:"nick_name"`
	HeadImg         string           `json:"head_img,omitempty"`
	ServiceTypeInfo IDField          `json:"service_type_info"`
	VerifyTypeInfo  IDField          `json:"verify_type_info"`
	UserName        string           `json:"user_name"`
	Alias           string           `json:"alias"`
	QrcodeURL       string           `json:"qrcode_url,omitempty"`
	BusinessInfo    BusinessInfo     `json:"business_info"`
	Idc             int              `json:"idc,omitempty"`
	PrincipalName   string           `json:"principal_name"`
	Signature       string           `json:"signature"`
	MiniProgramInfo *MiniProgramInfo `json:"MiniProgramInfo,omitempty"`
	RegisterType    *int             `json:"register_type,omitempty"`
	AccountStatus   int              `json:"account_status,omitempty"`
	BasicConfig     *BasicConfig     `json:"basic_config,omitempty"`
}

// IsMiniProgram reports whether the account is a mini program (it has MiniProgramInfo).
func (a AuthorizerInfo) IsMiniProgram() bool { return a.MiniProgramInfo != nil }

// AuthorizerInfoResponse is the response of api_get_authorizer_info.
type AuthorizerInfoResponse struct {
	AuthorizerInfo    AuthorizerInfo    `json:"authorizer_info"`
	AuthorizationInfo AuthorizationInfo `json:"authorization_info"`
}

// AuthorizerListRequest is the body of api_get_authorizer_list (count ≤ 500).
type AuthorizerListRequest struct {
	ComponentAppID string `json:"component_appid"`
	Offset         int    `json:"offset"`
	Count          int    `json:"count"`
}

// AuthorizerListItem is one authorized account; note the key refresh_token, which may be empty
// (authorized but never exchanged) or missing.
type AuthorizerListItem struct {
	AuthorizerAppID string `json:"authorizer_appid"`
	RefreshToken    string `json:"refresh_token"`
	AuthTime        int64  `json:"auth_time"`
}

// AuthorizerList is the response of api_get_authorizer_list.
type AuthorizerList struct {
	TotalCount int                  `json:"total_count"`
	List       []AuthorizerListItem `json:"list"`
}

// AuthorizerOptionRequest is the body of the legacy api_get/set_authorizer_option.
type AuthorizerOptionRequest struct {
	ComponentAppID  string `json:"component_appid"`
	AuthorizerAppID string `json:"authorizer_appid"`
	OptionName      string `json:"option_name"`
	OptionValue     string `json:"option_value,omitempty"`
}

// AuthorizerOption is the response of api_get_authorizer_option.
type AuthorizerOption struct {
	AuthorizerAppID string `json:"authorizer_appid"`
	OptionName      string `json:"option_name"`
	OptionValue     string `json:"option_value"`
}

// StartPushTicketRequest is the body of api_start_push_ticket. Note component_secret.
type StartPushTicketRequest struct {
	ComponentAppID  string `json:"component_appid"`
	ComponentSecret string `json:"component_secret"`
}

// ClearQuotaV2Request is the body of clear_quota/v2; AppID set resets an authorizer's quota.
type ClearQuotaV2Request struct {
	AppID          string `json:"appid,omitempty"`
	ComponentAppID string `json:"component_appid"`
	AppSecret      string `json:"appsecret"`
}

// QuotaGetRequest is the body of openapi/quota/get.
type QuotaGetRequest struct {
	CgiPath string `json:"cgi_path"`
}

// Quota is the response of openapi/quota/get.
type Quota struct {
	Quota struct {
		DailyLimit int `json:"daily_limit"`
		Used       int `json:"used"`
		Remain     int `json:"remain"`
	} `json:"quota"`
	RateLimit struct {
		CallCount     int `json:"call_count"`
		RefreshSecond int `json:"refresh_second"`
	} `json:"rate_limit"`
	ComponentRateLimit struct {
		CallCount     int `json:"call_count"`
		RefreshSecond int `json:"refresh_second"`
	} `json:"component_rate_limit"`
}

// RidGetRequest is the body of openapi/rid/get.
type RidGetRequest struct {
	Rid string `json:"rid"`
}

// RidInfo is the response of openapi/rid/get.
type RidInfo struct {
	Request struct {
		InvokeTime   int64  `json:"invoke_time"`
		CostInMs     int    `json:"cost_in_ms"`
		RequestURL   string `json:"request_url"`
		RequestBody  string `json:"request_body"`
		ResponseBody string `json:"response_body"`
		ClientIP     string `json:"client_ip"`
	} `json:"request"`
}

// AccountBasicInfo is the (abridged) response of cgi-bin/account/getaccountbasicinfo, an API
// called with an authorizer_access_token; the simulator serves it so a token can be proven.
type AccountBasicInfo struct {
	AppID          string `json:"appid"`
	AccountType    int    `json:"account_type"`
	PrincipalType  int    `json:"principal_type"`
	PrincipalName  string `json:"principal_name"`
	RealnameStatus int    `json:"realname_status"`
	Nickname       string `json:"nickname,omitempty"`
}
