package wxapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wxauth/core/wxapi"
)

// Credentials the tests send. They are long and distinctive so that a leak into an error
// message is easy to spot.
const (
	testToken   = "11_chOpjx-SECRETTOKEN-dd8kdj3kKd93kdK_d93kdkKD93kdk3kd-kd93kdk3"
	testSecret  = "appsecret-SECRET-28c223a63f7de0d5"
	testTicket  = "ticket@@@SECRET-TICKET-4YgrQ1GcRkLg"
	testRefresh = "refreshtoken@@@SECRET-REFRESH-HDIjlj4Zywh_ZF8TT"
	testAppID   = "wx134c8103faa5a59e"
)

var allSecrets = []string{testToken, testSecret, testTicket, testRefresh}

// fixture reads a response body captured under testdata/wxapi.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wxapi", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// request is what the fake server saw.
type request struct {
	Method, Path, RawQuery, ContentType, Body string
}

// recorder is a fake WeChat: it records every request and answers with respond.
type recorder struct {
	mu      sync.Mutex
	reqs    []request
	respond func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), string(body)})
	rec.mu.Unlock()
	rec.respond(w, r, body)
}

func (rec *recorder) requests() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.reqs...)
}

// serve starts a fake server answering with respond and returns a client pointed at it.
func serve(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, body []byte), opts ...wxapi.Option) (*wxapi.Client, *recorder) {
	t.Helper()
	rec := &recorder{respond: respond}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return wxapi.NewClient(srv.Client(), append([]wxapi.Option{wxapi.WithBaseURL(srv.URL + "/")}, opts...)...), rec
}

// replay answers every request with body, the way WeChat does: HTTP 200 and its odd
// "encoding=" content type.
func replay(body []byte) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json; encoding=utf-8")
		w.Write(body)
	}
}

func TestEndpointsRequestsAndResponses(t *testing.T) {
	ctx := context.Background()
	tokenQuery := "component_access_token=" + testToken
	cases := []struct {
		name      string
		fixture   string
		call      func(c *wxapi.Client) (any, error)
		wantPath  string
		wantQuery string
		wantBody  string
		check     func(t *testing.T, got any)
	}{
		{
			name: "api_component_token", fixture: "component_token.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.ComponentToken(ctx, "appid_value", testSecret, testTicket)
			},
			wantPath: "/cgi-bin/component/api_component_token",
			wantBody: `{"component_appid":"appid_value","component_appsecret":"` + testSecret + `","component_verify_ticket":"` + testTicket + `"}`,
			check: func(t *testing.T, got any) {
				want := wxapi.ComponentToken{ComponentAccessToken: "61W3mEpU66027wgNZ_MhGHNQDHnFATkDa9-2llqrMBjUwxRSNPbVsMmyD-yq8wZETSoE5NQgecigDrSHkPtIYA", ExpiresIn: 7200}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
			},
		},
		{
			name: "api_create_preauthcode", fixture: "create_preauthcode.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.CreatePreAuthCode(ctx, testToken, "appid_value")
			},
			wantPath: "/cgi-bin/component/api_create_preauthcode", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value"}`,
			check: func(t *testing.T, got any) {
				p := got.(wxapi.PreAuthCode)
				if !strings.HasPrefix(p.PreAuthCode, "preauthcode@@@") || len(p.PreAuthCode) != 14+86 || p.ExpiresIn != 1800 {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name: "api_query_auth official account", fixture: "query_auth.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.QueryAuth(ctx, testToken, "appid_value", "auth_code_value")
			},
			wantPath: "/cgi-bin/component/api_query_auth", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorization_code":"auth_code_value"}`,
			check: func(t *testing.T, got any) {
				a := got.(wxapi.QueryAuth).AuthorizationInfo
				if a.AppID() != "wx927858bad6f6868a" || !strings.HasPrefix(a.AuthorizerAccessToken, "43_") || a.ExpiresIn != 7200 ||
					a.AuthorizerRefreshToken != "refreshtoken@@@HDIjlj4Zywh_ZF8TT_LPqQOzulFPLMVbF9sczyNuHcY" {
					t.Errorf("got %+v", a)
				}
				if ids := funcIDs(a.FuncInfo); ids != "1,15" {
					t.Errorf("func_info ids = %s", ids)
				}
			},
		},
		{
			name: "api_query_auth mini program with confirm_info", fixture: "query_auth_miniprogram.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.QueryAuth(ctx, testToken, "appid_value", "queryauthcode@@@SIMULATOR-TEST-AUTHCODE-0001")
			},
			wantPath: "/cgi-bin/component/api_query_auth", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorization_code":"queryauthcode@@@SIMULATOR-TEST-AUTHCODE-0001"}`,
			check: func(t *testing.T, got any) {
				a := got.(wxapi.QueryAuth).AuthorizationInfo
				if ids := funcIDs(a.FuncInfo); ids != "17,18,19,25" {
					t.Errorf("func_info ids = %s", ids)
				}
				if a.FuncInfo[0].ConfirmInfo != nil {
					t.Errorf("entry without confirm_info decoded one: %+v", a.FuncInfo[0].ConfirmInfo)
				}
				if ci := a.FuncInfo[3].ConfirmInfo; ci == nil || *ci != (wxapi.ConfirmInfo{NeedConfirm: 1, CanConfirm: 1}) {
					t.Errorf("confirm_info of set 25 = %+v", ci)
				}
			},
		},
		{
			name: "api_authorizer_token", fixture: "authorizer_token.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.AuthorizerToken(ctx, testToken, "appid_value", "auth_appid_value", testRefresh)
			},
			wantPath: "/cgi-bin/component/api_authorizer_token", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorizer_appid":"auth_appid_value","authorizer_refresh_token":"` + testRefresh + `"}`,
			check: func(t *testing.T, got any) {
				a := got.(wxapi.AuthorizerToken)
				if !strings.HasPrefix(a.AuthorizerAccessToken, "43_") || a.ExpiresIn != 7200 || a.AuthorizerRefreshToken != "refreshtoken@@@HDIjlj4Zywh_ZF8TT_LPqQOzulFPLMVbF9sczyNuHcY" {
					t.Errorf("got %+v", a)
				}
			},
		},
		{
			name: "api_get_authorizer_info mini program", fixture: "authorizer_info_miniprogram.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetAuthorizerInfo(ctx, testToken, "appid_value", "auth_appid_value")
			},
			wantPath: "/cgi-bin/component/api_get_authorizer_info", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorizer_appid":"auth_appid_value"}`,
			check: func(t *testing.T, got any) {
				r := got.(wxapi.AuthorizerInfoResponse)
				ai := r.AuthorizerInfo
				if !ai.IsMiniProgram() || ai.UserName != "gh_3dacad47dc6b" || ai.NickName != "测试盲盒" || ai.VerifyTypeInfo.ID != -1 {
					t.Errorf("authorizer_info = %+v", ai)
				}
				// Escaped slashes must come out as plain ones.
				if ai.HeadImg != "http://wx.qlogo.cn/mmopen/zMYW11icgoEy5WicL4Tw3g7sIJ6xGRXSChcx1Rtbg4osmRRO25TSvtWM8lA5uZSmUwYKmflUkZKFe3z1saPwklBR9Xpeib7Y9Ic/0" {
					t.Errorf("head_img = %q", ai.HeadImg)
				}
				mp := ai.MiniProgramInfo
				if got := strings.Join(mp.Network.RequestDomain, " "); got != "https://api.example.com https://social.example.com" {
					t.Errorf("RequestDomain = %s", got)
				}
				if len(mp.Categories) != 2 || mp.Categories[1] != (wxapi.MiniProgramCategory{First: "商家自营", Second: "服装/鞋/箱包"}) {
					t.Errorf("categories = %+v", mp.Categories)
				}
				if ai.RegisterType == nil || *ai.RegisterType != 0 || ai.BasicConfig == nil || !ai.BasicConfig.IsPhoneConfigured || ai.AccountStatus != 1 {
					t.Errorf("register_type/basic_config/account_status = %v %+v %d", ai.RegisterType, ai.BasicConfig, ai.AccountStatus)
				}
				az := r.AuthorizationInfo
				if az.AppID() != "wxf24d2dfc1a974128" || az.AuthorizerRefreshToken != "refreshtoken@@@RU0Sgi7bD6apS7frS9gj8Sbws7OoDejK9Z-cm0EnCzg" {
					t.Errorf("authorization_info = %+v", az)
				}
				if ids := funcIDs(az.FuncInfo); ids != "17,18,19,25,30" || az.FuncInfo[1].ConfirmInfo == nil {
					t.Errorf("func_info = %s, confirm_info of 18 = %v", ids, az.FuncInfo[1].ConfirmInfo)
				}
			},
		},
		{
			name: "api_get_authorizer_info official account", fixture: "authorizer_info_official_account.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetAuthorizerInfo(ctx, testToken, "appid_value", "wxf8b4f85f3a794e77")
			},
			wantPath: "/cgi-bin/component/api_get_authorizer_info", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorizer_appid":"wxf8b4f85f3a794e77"}`,
			check: func(t *testing.T, got any) {
				r := got.(wxapi.AuthorizerInfoResponse)
				ai := r.AuthorizerInfo
				if ai.IsMiniProgram() || ai.ServiceTypeInfo.ID != 2 || ai.VerifyTypeInfo.ID != 0 || ai.Alias != "paytest01" || ai.UserName != "gh_eb5e3a772040" {
					t.Errorf("authorizer_info = %+v", ai)
				}
				if !strings.HasPrefix(ai.QrcodeURL, "http://mmbiz.qpic.cn/mmbiz/") || ai.RegisterType != nil {
					t.Errorf("qrcode_url = %q, register_type = %v", ai.QrcodeURL, ai.RegisterType)
				}
				if funcIDs(r.AuthorizationInfo.FuncInfo) != "1,2,15" {
					t.Errorf("func_info = %+v", r.AuthorizationInfo.FuncInfo)
				}
			},
		},
		{
			name: "api_get_authorizer_list", fixture: "authorizer_list.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetAuthorizerList(ctx, testToken, "appid_value", 0, 100)
			},
			wantPath: "/cgi-bin/component/api_get_authorizer_list", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","offset":0,"count":100}`,
			check: func(t *testing.T, got any) {
				l := got.(wxapi.AuthorizerList)
				want := []wxapi.AuthorizerListItem{
					{AuthorizerAppID: "wx927858bad6f6868a", RefreshToken: "refreshtoken@@@HDIjlj4Zywh_ZF8TT_LPqQOzulFPLMVbF9sczyNuHcY", AuthTime: 1558000607},
					{AuthorizerAppID: "wxf24d2dfc1a974128", RefreshToken: "", AuthTime: 1572001402}, // authorized, never exchanged
					{AuthorizerAppID: "wxba5fad812f8e6fb9", AuthTime: 1715943400},                   // refresh_token key missing
				}
				if l.TotalCount != 3 || fmt.Sprint(l.List) != fmt.Sprint(want) {
					t.Errorf("got %+v", l)
				}
			},
		},
		{
			name: "api_get_authorizer_option", fixture: "authorizer_option.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetAuthorizerOption(ctx, testToken, wxapi.AuthorizerOptionRequest{
					ComponentAppID: "appid_value", AuthorizerAppID: "wx7bc5ba58cabd00f4", OptionName: "voice_recognize", OptionValue: "ignored",
				})
			},
			wantPath: "/cgi-bin/component/api_get_authorizer_option", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorizer_appid":"wx7bc5ba58cabd00f4","option_name":"voice_recognize"}`,
			check: func(t *testing.T, got any) {
				if o := got.(wxapi.AuthorizerOption); o != (wxapi.AuthorizerOption{AuthorizerAppID: "wx7bc5ba58cabd00f4", OptionName: "voice_recognize", OptionValue: "1"}) {
					t.Errorf("got %+v", o)
				}
			},
		},
		{
			name: "api_set_authorizer_option", fixture: "ok.json",
			call: func(c *wxapi.Client) (any, error) {
				return nil, c.SetAuthorizerOption(ctx, testToken, wxapi.AuthorizerOptionRequest{
					ComponentAppID: "appid_value", AuthorizerAppID: "wx7bc5ba58cabd00f4", OptionName: "location_report", OptionValue: "2",
				})
			},
			wantPath: "/cgi-bin/component/api_set_authorizer_option", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value","authorizer_appid":"wx7bc5ba58cabd00f4","option_name":"location_report","option_value":"2"}`,
		},
		{
			name: "api_start_push_ticket", fixture: "start_push_ticket_normal.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.StartPushTicket(ctx, "wxd0bfc95064b5bfc1", testSecret)
			},
			wantPath: "/cgi-bin/component/api_start_push_ticket",
			wantBody: `{"component_appid":"wxd0bfc95064b5bfc1","component_secret":"` + testSecret + `"}`,
			check: func(t *testing.T, got any) {
				if s := got.(wxapi.Status); s != (wxapi.Status{ErrCode: 0, ErrMsg: "in a normal state"}) {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "component/clear_quota", fixture: "ok.json",
			call: func(c *wxapi.Client) (any, error) {
				return nil, c.ClearQuota(ctx, testToken, "appid_value")
			},
			wantPath: "/cgi-bin/component/clear_quota", wantQuery: tokenQuery,
			wantBody: `{"component_appid":"appid_value"}`,
		},
		{
			name: "clear_quota/v2 for the platform", fixture: "ok.json",
			call: func(c *wxapi.Client) (any, error) {
				return nil, c.ClearQuotaV2(ctx, wxapi.ClearQuotaV2Request{ComponentAppID: "appid_value", AppSecret: testSecret})
			},
			wantPath: "/cgi-bin/component/clear_quota/v2",
			wantBody: `{"component_appid":"appid_value","appsecret":"` + testSecret + `"}`,
		},
		{
			name: "clear_quota/v2 for an authorizer", fixture: "ok.json",
			call: func(c *wxapi.Client) (any, error) {
				return nil, c.ClearQuotaV2(ctx, wxapi.ClearQuotaV2Request{AppID: "wxba5fad812f8e6fb9", ComponentAppID: "appid_value", AppSecret: testSecret})
			},
			wantPath: "/cgi-bin/component/clear_quota/v2",
			wantBody: `{"appid":"wxba5fad812f8e6fb9","component_appid":"appid_value","appsecret":"` + testSecret + `"}`,
		},
		{
			name: "openapi/quota/get", fixture: "quota.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetQuota(ctx, testToken, "/cgi-bin/component/api_component_token")
			},
			wantPath: "/cgi-bin/openapi/quota/get", wantQuery: "access_token=" + testToken,
			wantBody: `{"cgi_path":"/cgi-bin/component/api_component_token"}`,
			check: func(t *testing.T, got any) {
				q := got.(wxapi.Quota)
				if q.Quota.DailyLimit != 10000 || q.Quota.Used != 42 || q.Quota.Remain != 9958 || q.RateLimit.CallCount != 100 || q.ComponentRateLimit.CallCount != 500 {
					t.Errorf("got %+v", q)
				}
			},
		},
		{
			name: "openapi/rid/get", fixture: "rid.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetRid(ctx, testToken, "61725984-6126f6f9-040f19c4")
			},
			wantPath: "/cgi-bin/openapi/rid/get", wantQuery: "access_token=" + testToken,
			wantBody: `{"rid":"61725984-6126f6f9-040f19c4"}`,
			check: func(t *testing.T, got any) {
				r := got.(wxapi.RidInfo).Request
				if r.InvokeTime != 1635156704 || r.CostInMs != 30 || r.ClientIP != "113.xx.70.51" || !strings.Contains(r.ResponseBody, `"errcode":45009`) {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "account/getaccountbasicinfo", fixture: "account_basic_info.json",
			call: func(c *wxapi.Client) (any, error) {
				return c.GetAccountBasicInfo(ctx, testToken)
			},
			wantPath: "/cgi-bin/account/getaccountbasicinfo", wantQuery: "access_token=" + testToken,
			wantBody: `{}`,
			check: func(t *testing.T, got any) {
				a := got.(wxapi.AccountBasicInfo)
				if a.AppID != "wxba5fad812f8e6fb9" || a.AccountType != 2 || a.PrincipalName != "深圳市腾讯计算机系统有限公司" || a.Nickname != "测试小程序" {
					t.Errorf("got %+v", a)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := serve(t, replay(fixture(t, tc.fixture)))
			got, err := tc.call(c)
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			want := request{Method: "POST", Path: tc.wantPath, RawQuery: tc.wantQuery, ContentType: "application/json", Body: tc.wantBody}
			if reqs[0] != want {
				t.Errorf("request\n got %+v\nwant %+v", reqs[0], want)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func funcIDs(fs []wxapi.FuncInfo) string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = fmt.Sprint(f.FuncscopeCategory.ID)
	}
	return strings.Join(ids, ",")
}

func TestTokenIsQueryEscaped(t *testing.T) {
	c, rec := serve(t, replay(fixture(t, "create_preauthcode.json")))
	if _, err := c.CreatePreAuthCode(context.Background(), "a+b/c=d&e", testAppID); err != nil {
		t.Fatal(err)
	}
	if q := rec.requests()[0].RawQuery; q != "component_access_token=a%2Bb%2Fc%3Dd%26e" {
		t.Errorf("query = %s", q)
	}
}

func TestWeChatErrors(t *testing.T) {
	cases := []struct {
		fixture      string
		call         func(c *wxapi.Client) error
		wantCode     int
		wantRid      string
		wantIP       string
		wantText     string // a prefix of Error()
		retryable    bool
		tokenInvalid bool
	}{
		{
			fixture: "err_61023.json",
			call: func(c *wxapi.Client) error {
				_, err := c.AuthorizerToken(context.Background(), testToken, testAppID, "wxba5fad812f8e6fb9", testRefresh)
				return err
			},
			wantCode: 61023, wantRid: "616ce9c1-375b9993-0843170d",
			wantText: "api_authorizer_token: 61023 refresh_token is invalid (rid 616ce9c1-375b9993-0843170d): the authorizer refresh token is wrong",
		},
		{
			fixture: "err_61004.json",
			call: func(c *wxapi.Client) error {
				_, err := c.QueryAuth(context.Background(), testToken, testAppID, "queryauthcode@@@abcdefgh12")
				return err
			},
			wantCode: 61004, wantRid: "617682e0-6126f6f9-040f19c4", wantIP: "203.0.113.7",
			wantText: "api_query_auth: 61004 access clientip is not registered requestIP: 203.0.113.7 (rid 617682e0-6126f6f9-040f19c4): ",
		},
		{
			fixture: "err_40164.json",
			call: func(c *wxapi.Client) error {
				_, err := c.ComponentToken(context.Background(), testAppID, testSecret, testTicket)
				return err
			},
			wantCode: 40164, wantRid: "6176843a-1d4f2c61-5e2f0b9d", wantIP: "198.51.100.23",
			wantText: "api_component_token: 40164 invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist (rid 6176843a-1d4f2c61-5e2f0b9d)",
		},
		{
			fixture: "err_61005_hint.json",
			call: func(c *wxapi.Client) error {
				_, err := c.ComponentToken(context.Background(), testAppID, testSecret, testTicket)
				return err
			},
			wantCode: 61005, wantRid: "xMkgA0846vr19",
			wantText: "api_component_token: 61005 component ticket is expired (rid xMkgA0846vr19): ",
		},
		{
			fixture: "err_system.json",
			call: func(c *wxapi.Client) error {
				_, err := c.CreatePreAuthCode(context.Background(), testToken, testAppID)
				return err
			},
			wantCode: -1, wantRid: "61725984-6126f6f9-040f19c4", retryable: true,
			wantText: "api_create_preauthcode: -1 system error (rid 61725984-6126f6f9-040f19c4): WeChat was busy",
		},
		{
			fixture: "err_42001.json",
			call: func(c *wxapi.Client) error {
				_, err := c.GetAccountBasicInfo(context.Background(), testToken)
				return err
			},
			wantCode: 42001, wantRid: "61725984-2b1a4c3d-0a1b2c3d", tokenInvalid: true,
			wantText: "account/getaccountbasicinfo: 42001 access_token expired",
		},
		{
			fixture: "err_45009.json",
			call: func(c *wxapi.Client) error {
				_, err := c.ComponentToken(context.Background(), testAppID, testSecret, testTicket)
				return err
			},
			wantCode: 45009, wantRid: "617682e0-09059ac5-34a8e2ea",
			wantText: "api_component_token: 45009 reach max api daily quota limit",
		},
		{
			fixture: "err_61009.json",
			call: func(c *wxapi.Client) error {
				_, err := c.QueryAuth(context.Background(), testToken, testAppID, "preauthcode@@@abcdefgh")
				return err
			},
			wantCode: 61009, wantRid: "5f1e2d3c-4b5a6978-8f9e0d1c",
			wantText: "api_query_auth: 61009 code is invalid",
		},
		{
			// An action-style API answering with an error.
			fixture: "err_45009.json",
			call: func(c *wxapi.Client) error {
				return c.ClearQuotaV2(context.Background(), wxapi.ClearQuotaV2Request{ComponentAppID: testAppID, AppSecret: testSecret})
			},
			wantCode: 45009, wantRid: "617682e0-09059ac5-34a8e2ea",
			wantText: "clear_quota/v2: 45009",
		},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			c, _ := serve(t, replay(fixture(t, tc.fixture)))
			err := tc.call(c)
			var we *wxapi.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v (%T) is not an *wxapi.Error", err, err)
			}
			if we.ErrCode != tc.wantCode || we.Rid != tc.wantRid || we.RequestIP != tc.wantIP {
				t.Errorf("got code %d rid %q ip %q", we.ErrCode, we.Rid, we.RequestIP)
			}
			if wxapi.ErrCode(err) != tc.wantCode || wxapi.IsRetryable(err) != tc.retryable || wxapi.IsTokenInvalid(err) != tc.tokenInvalid {
				t.Errorf("ErrCode %d, IsRetryable %v, IsTokenInvalid %v", wxapi.ErrCode(err), wxapi.IsRetryable(err), wxapi.IsTokenInvalid(err))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.wantText) {
				t.Errorf("Error() = %q\nwant prefix %q", msg, tc.wantText)
			}
			info := we.Info()
			if !strings.Contains(msg, info.Remedy) || info.Remedy == "" {
				t.Errorf("Error() %q lacks the remedy %q", msg, info.Remedy)
			}
			if tc.wantIP != "" && !strings.Contains(info.Remedy, tc.wantIP) {
				t.Errorf("remedy %q does not name the IP %s", info.Remedy, tc.wantIP)
			}
			assertNoSecrets(t, msg)
		})
	}
}

func assertNoSecrets(t *testing.T, msg string) {
	t.Helper()
	for _, s := range allSecrets {
		if strings.Contains(msg, s) {
			t.Errorf("error message leaks a secret: %q", msg)
		}
	}
}

// TestBrokenResponses covers everything between WeChat and the client that is not a WeChat
// error: gateways, proxies, dropped connections and bodies of the wrong shape.
func TestBrokenResponses(t *testing.T) {
	tokenBody := fixture(t, "component_token.json")
	// A gateway page that echoes the request URL, token included: the error must not repeat it.
	echoURL := func(status int) func(http.ResponseWriter, *http.Request, []byte) {
		return func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html><body><h1>%d</h1><p>while fetching %s</p></body></html>", status, r.URL.String())
		}
	}
	withStatus := func(status int, body []byte) func(http.ResponseWriter, *http.Request, []byte) {
		return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.WriteHeader(status)
			w.Write(body)
		}
	}
	// dropMidBody promises more bytes than it sends, then closes the connection.
	dropMidBody := func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Length", fmt.Sprint(len(tokenBody)))
		w.Write(tokenBody[:40])
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	// streamBig sends an unannounced (chunked) body larger than the limit.
	streamBig := func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Write([]byte(`{"component_access_token":"`))
		w.(http.Flusher).Flush()
		w.Write([]byte(strings.Repeat("x", 300) + `","expires_in":7200}`))
	}
	cases := []struct {
		name       string
		respond    func(http.ResponseWriter, *http.Request, []byte)
		opts       []wxapi.Option
		check      func(t *testing.T, err error)
		retryable  bool
		wantInText string
	}{
		{
			name: "HTTP 500 page echoing the URL", respond: echoURL(500), retryable: true,
			wantInText: "api_create_preauthcode: HTTP 500 Internal Server Error: <html><body><h1>500</h1><p>while fetching /cgi-bin/component/api_create_preauthcode?component_access_token=***",
			check: func(t *testing.T, err error) {
				var he *wxapi.HTTPError
				if !errors.As(err, &he) || he.StatusCode != 500 {
					t.Errorf("want *HTTPError 500, got %T %v", err, err)
				}
			},
		},
		{
			name: "HTTP 502 nginx page", respond: withStatus(502, fixture(t, "gateway_502.html")), retryable: true,
			wantInText: "HTTP 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title>",
		},
		{
			name: "HTTP 429", respond: withStatus(429, []byte("slow down")), retryable: true,
			wantInText: "HTTP 429 Too Many Requests: slow down",
		},
		{
			name: "HTTP 403 with a WeChat-style body", respond: withStatus(403, []byte(`{"errcode":-1,"errmsg":"forbidden"}`)),
			wantInText: "HTTP 403 Forbidden: errcode -1 forbidden",
		},
		{
			name: "HTTP 404 with a JSON body that may hold credentials", respond: withStatus(404, tokenBody),
			check: func(t *testing.T, err error) {
				if strings.Contains(err.Error(), "61W3mEpU") {
					t.Errorf("a JSON body was quoted: %v", err)
				}
			},
		},
		{
			name: "200 with an HTML body", respond: replay(fixture(t, "gateway_502.html")),
			wantInText: "api_create_preauthcode: unusable response: HTML or XML instead of JSON",
			check:      wantDecodeError(false),
		},
		{
			name: "200 with truncated JSON", respond: replay(tokenBody[:50]), retryable: true,
			wantInText: "unusable response: truncated JSON",
			check: func(t *testing.T, err error) {
				wantDecodeError(true)(t, err)
				if strings.Contains(err.Error(), "61W3mEpU") {
					t.Errorf("the partial token was quoted: %v", err)
				}
			},
		},
		{
			name: "connection dropped mid-body", respond: dropMidBody, retryable: true,
			wantInText: "unusable response: the body ended early",
			check:      wantDecodeError(true),
		},
		{
			name: "200 with an empty body", respond: replay(nil), retryable: true,
			wantInText: "unusable response: empty body",
		},
		{
			name: "200 with malformed JSON", respond: replay([]byte(`{"pre_auth_code":"preauthcode@@@x",}`)),
			wantInText: "unusable response: malformed JSON",
			check:      wantDecodeError(false),
		},
		{
			name: "200 with a JSON array", respond: replay([]byte(`[]`)),
			wantInText: "unusable response: not a JSON object",
		},
		{
			name: "200 with null", respond: replay([]byte(`null`)),
			wantInText: "unusable response: not a JSON object",
		},
		{
			name: "field of the wrong type", respond: replay([]byte(`{"pre_auth_code":"preauthcode@@@x","expires_in":"1800"}`)),
			wantInText: `unusable response: field "expires_in" is a JSON string, expected int`,
		},
		{
			name: "success without the required field", respond: replay([]byte(`{"expires_in":1800}`)),
			wantInText: "unusable response: success response has no pre_auth_code",
		},
		{
			name: "success with errcode 0 but no expires_in", respond: replay([]byte(`{"errcode":0,"errmsg":"ok","pre_auth_code":"preauthcode@@@abc"}`)),
			wantInText: "success response has no positive expires_in (got 0)",
		},
		{
			name: "oversized body with Content-Length", respond: replay([]byte(`{"pre_auth_code":"` + strings.Repeat("x", 300) + `","expires_in":1800}`)),
			opts:       []wxapi.Option{wxapi.WithMaxResponseBytes(256)},
			wantInText: "response body is 338 bytes, larger than the 256-byte limit",
			check:      wantDecodeError(false),
		},
		{
			name: "oversized chunked body", respond: streamBig,
			opts:       []wxapi.Option{wxapi.WithMaxResponseBytes(256)},
			wantInText: "response body is larger than the 256-byte limit",
			check:      wantDecodeError(false),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := serve(t, tc.respond, tc.opts...)
			got, err := c.CreatePreAuthCode(context.Background(), testToken, testAppID)
			if err == nil {
				t.Fatalf("succeeded with %+v", got)
			}
			if got != (wxapi.PreAuthCode{}) {
				t.Errorf("failed call returned a value: %+v", got)
			}
			if wxapi.IsRetryable(err) != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v (%v)", !tc.retryable, tc.retryable, err)
			}
			if wxapi.ErrCode(err) != 0 || wxapi.IsTokenInvalid(err) {
				t.Errorf("not a WeChat error, yet ErrCode = %d, IsTokenInvalid = %v", wxapi.ErrCode(err), wxapi.IsTokenInvalid(err))
			}
			if !strings.Contains(err.Error(), tc.wantInText) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.wantInText)
			}
			assertNoSecrets(t, err.Error())
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

func wantDecodeError(truncated bool) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var de *wxapi.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("want *DecodeError, got %T %v", err, err)
		}
		if de.API != "api_create_preauthcode" || de.Truncated != truncated {
			t.Errorf("DecodeError API %q Truncated %v, want truncated %v", de.API, de.Truncated, truncated)
		}
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("context cancelled while waiting", func(t *testing.T) {
		arrived := make(chan struct{})
		c, _ := serve(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			close(arrived)
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		_, err := c.QueryAuth(ctx, testToken, testAppID, "queryauthcode@@@SECRET-CODE-123456")
		var te *wxapi.TransportError
		if !errors.As(err, &te) || !te.Canceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("want a cancelled *TransportError, got %T %v", err, err)
		}
		if wxapi.IsRetryable(err) {
			t.Error("the caller's own cancellation is retryable")
		}
		if msg := err.Error(); msg != "api_query_auth: POST /cgi-bin/component/api_query_auth: context canceled" {
			t.Errorf("Error() = %q", msg)
		}
	})
	t.Run("context already done", func(t *testing.T) {
		c, rec := serve(t, replay(fixture(t, "component_token.json")))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.ComponentToken(ctx, testAppID, testSecret, testTicket); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if n := len(rec.requests()); n != 0 {
			t.Errorf("%d requests sent with a dead context", n)
		}
	})
	t.Run("client timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		hc := srv.Client()
		hc.Timeout = 50 * time.Millisecond
		c := wxapi.NewClient(hc, wxapi.WithBaseURL(srv.URL))
		_, err := c.CreatePreAuthCode(context.Background(), testToken, testAppID)
		var te *wxapi.TransportError
		if !errors.As(err, &te) || te.Canceled {
			t.Fatalf("want a non-cancelled *TransportError, got %T %v", err, err)
		}
		if !wxapi.IsRetryable(err) {
			t.Error("a timeout is not retryable")
		}
		assertNoSecrets(t, err.Error())
		if strings.Contains(err.Error(), "component_access_token") {
			t.Errorf("error names the query: %v", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		c := wxapi.NewClient(nil, wxapi.WithBaseURL(base))
		_, err := c.AuthorizerToken(context.Background(), testToken, testAppID, "wxba5fad812f8e6fb9", testRefresh)
		var te *wxapi.TransportError
		if !errors.As(err, &te) || !wxapi.IsRetryable(err) {
			t.Fatalf("want a retryable *TransportError, got %T %v", err, err)
		}
		if !strings.HasPrefix(err.Error(), "api_authorizer_token: POST /cgi-bin/component/api_authorizer_token: ") {
			t.Errorf("Error() = %q", err)
		}
		assertNoSecrets(t, err.Error())
	})
	t.Run("bad base URL", func(t *testing.T) {
		c := wxapi.NewClient(nil, wxapi.WithBaseURL("http://[::1"))
		_, err := c.CreatePreAuthCode(context.Background(), testToken, testAppID)
		if err == nil {
			t.Fatal("succeeded")
		}
		assertNoSecrets(t, err.Error())
	})
}

func TestAllAuthorizers(t *testing.T) {
	items := make([]wxapi.AuthorizerListItem, 1203)
	for i := range items {
		items[i] = wxapi.AuthorizerListItem{AuthorizerAppID: fmt.Sprintf("wx%016x", i), RefreshToken: fmt.Sprintf("refreshtoken@@@%043d", i), AuthTime: 1558000000 + int64(i)}
	}
	// lister serves items like api_get_authorizer_list, with a page cap and a total it claims.
	lister := func(pageCap, claimedTotal, failAtOffset int) func(http.ResponseWriter, *http.Request, []byte) {
		return func(w http.ResponseWriter, _ *http.Request, body []byte) {
			var req wxapi.AuthorizerListRequest
			if err := json.Unmarshal(body, &req); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			if req.Offset == failAtOffset {
				w.Write(fixture(t, "err_system.json"))
				return
			}
			n := min(req.Count, pageCap)
			lo, hi := min(req.Offset, len(items)), min(req.Offset+n, len(items))
			json.NewEncoder(w).Encode(wxapi.AuthorizerList{TotalCount: claimedTotal, List: items[lo:hi]})
		}
	}
	cases := []struct {
		name        string
		respond     func(http.ResponseWriter, *http.Request, []byte)
		wantOffsets string
		wantItems   int
		wantErr     bool
	}{
		{"pages of 500", lister(500, len(items), -1), "0,500,1000", 1203, false},
		{"server serves short pages", lister(400, len(items), -1), "0,400,800,1200", 1203, false},
		{"total_count larger than the list", lister(500, 5000, -1), "0,500,1000,1203", 1203, false},
		{"empty", func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.Write([]byte(`{"total_count":0,"list":[]}`)) }, "0", 0, false},
		{"error on the second page", lister(500, len(items), 500), "0,500", 500, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := serve(t, tc.respond)
			got, err := c.AllAuthorizers(context.Background(), testToken, testAppID)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			var offsets []string
			for _, r := range rec.requests() {
				var req wxapi.AuthorizerListRequest
				json.Unmarshal([]byte(r.Body), &req)
				if req.Count != 500 || req.ComponentAppID != testAppID {
					t.Errorf("request body %s", r.Body)
				}
				offsets = append(offsets, fmt.Sprint(req.Offset))
			}
			if s := strings.Join(offsets, ","); s != tc.wantOffsets {
				t.Errorf("offsets %s, want %s", s, tc.wantOffsets)
			}
			if len(got) != tc.wantItems {
				t.Fatalf("%d items, want %d", len(got), tc.wantItems)
			}
			for i := range got {
				if got[i] != items[i] {
					t.Fatalf("item %d = %+v, want %+v", i, got[i], items[i])
				}
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	if got := wxapi.NewClient(nil).BaseURL(); got != wxapi.DefaultAPIBase {
		t.Errorf("default BaseURL = %q", got)
	}
	if got := wxapi.NewClient(nil, wxapi.WithBaseURL("http://127.0.0.1:9/wx/")).BaseURL(); got != "http://127.0.0.1:9/wx" {
		t.Errorf("BaseURL = %q", got)
	}
	// A base with a path prefix (a simulator mounted under /wx) keeps it.
	c, rec := serve(t, replay(fixture(t, "ok.json")))
	c = wxapi.NewClient(nil, wxapi.WithBaseURL(c.BaseURL()+"/wx"))
	if err := c.ClearQuota(context.Background(), testToken, testAppID); err != nil {
		t.Fatal(err)
	}
	if p := rec.requests()[0].Path; p != "/wx/cgi-bin/component/clear_quota" {
		t.Errorf("path = %s", p)
	}
}
