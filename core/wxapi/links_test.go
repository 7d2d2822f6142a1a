package wxapi_test

import (
	"net/url"
	"strings"
	"testing"

	"wxauth/core/wxapi"
)

const testPreAuth = "preauthcode@@@Cx_Dk6qiBE0Dmx4EmlT3oRfArPvwSQ-oa3NL_fwHM7VI08r52wazoZX2Rhpz1dEw"

func TestLinksExact(t *testing.T) {
	o := wxapi.LinkOptions{
		ComponentAppID: "wx134c8103faa5a59e",
		PreAuthCode:    testPreAuth,
		RedirectURI:    "https://auth.example.com/wechat/auth/callback?session=s 1&x=é#/done",
		AuthType:       3,
	}
	wantQuery := "component_appid=wx134c8103faa5a59e" +
		"&pre_auth_code=preauthcode%40%40%40Cx_Dk6qiBE0Dmx4EmlT3oRfArPvwSQ-oa3NL_fwHM7VI08r52wazoZX2Rhpz1dEw" +
		"&redirect_uri=https%3A%2F%2Fauth.example.com%2Fwechat%2Fauth%2Fcallback%3Fsession%3Ds+1%26x%3D%C3%A9%23%2Fdone" +
		"&auth_type=3"
	if got, want := wxapi.PCLink(o), "https://mp.weixin.qq.com/cgi-bin/componentloginpage?"+wantQuery; got != want {
		t.Errorf("PCLink =\n%s\nwant\n%s", got, want)
	}
	o.BizAppID = "wxba5fad812f8e6fb9"
	o.CategoryIDs = []int{1, 2, 18}
	want := "https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&" + wantQuery +
		"&biz_appid=wxba5fad812f8e6fb9&category_id_list=1%7C2%7C18#wechat_redirect"
	if got := wxapi.MobileLink(o); got != want {
		t.Errorf("MobileLink =\n%s\nwant\n%s", got, want)
	}
}

func TestLinksRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		o    wxapi.LinkOptions
		want url.Values // what WeChat reads back
	}{
		{
			name: "minimal: auth_type, biz_appid and category_id_list omitted",
			o:    wxapi.LinkOptions{ComponentAppID: "wx1", PreAuthCode: testPreAuth, RedirectURI: "https://a.example.com/cb"},
			want: url.Values{"component_appid": {"wx1"}, "pre_auth_code": {testPreAuth}, "redirect_uri": {"https://a.example.com/cb"}},
		},
		{
			name: "everything",
			o: wxapi.LinkOptions{ComponentAppID: "wx1", PreAuthCode: testPreAuth, RedirectURI: "https://a.example.com/cb?a=1&b=2#/x",
				AuthType: 2, BizAppID: "wx2", CategoryIDs: []int{99}},
			want: url.Values{"component_appid": {"wx1"}, "pre_auth_code": {testPreAuth}, "redirect_uri": {"https://a.example.com/cb?a=1&b=2#/x"},
				"auth_type": {"2"}, "biz_appid": {"wx2"}, "category_id_list": {"99"}},
		},
		{
			name: "custom hosts with trailing slashes (the simulator)",
			o: wxapi.LinkOptions{LoginBase: "http://127.0.0.1:8766/", MobileBase: "http://127.0.0.1:8766/", ComponentAppID: "wx1",
				PreAuthCode: testPreAuth, RedirectURI: "http://127.0.0.1:8765/wechat/auth/callback", AuthType: 6, CategoryIDs: []int{1, 2}},
			want: url.Values{"component_appid": {"wx1"}, "pre_auth_code": {testPreAuth}, "redirect_uri": {"http://127.0.0.1:8765/wechat/auth/callback"},
				"auth_type": {"6"}, "category_id_list": {"1|2"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := url.Parse(wxapi.PCLink(tc.o))
			if err != nil {
				t.Fatal(err)
			}
			if pc.Path != wxapi.PathComponentLoginPage || pc.Fragment != "" {
				t.Errorf("PC link path %q fragment %q", pc.Path, pc.Fragment)
			}
			assertValues(t, "PC", pc.Query(), tc.want)

			link := wxapi.MobileLink(tc.o)
			if !strings.HasSuffix(link, "?"+mobileQuery(pc.RawQuery)+"#wechat_redirect") {
				t.Errorf("mobile link %s does not end with its query and #wechat_redirect", link)
			}
			m, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			if m.Path != wxapi.PathBindComponent || m.Fragment != "wechat_redirect" {
				t.Errorf("mobile link path %q fragment %q", m.Path, m.Fragment)
			}
			want := url.Values{"action": {"bindcomponent"}, "no_scan": {"1"}}
			for k, v := range tc.want {
				want[k] = v
			}
			assertValues(t, "mobile", m.Query(), want)
			if tc.o.LoginBase != "" && !strings.HasPrefix(link, "http://127.0.0.1:8766/wxaopen/") {
				t.Errorf("custom mobile base ignored: %s", link)
			}
		})
	}
}

// mobileQuery is the mobile link's query for a PC link's query: two leading parameters more.
func mobileQuery(pcQuery string) string { return "action=bindcomponent&no_scan=1&" + pcQuery }

func assertValues(t *testing.T, which string, got, want url.Values) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s link has parameters %v, want %v", which, got, want)
	}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v[0] {
			t.Errorf("%s link %s = %q, want %q", which, k, got[k], v[0])
		}
	}
}
