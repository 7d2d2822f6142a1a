package wxsim_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

var (
	grantRe = regexp.MustCompile(`name="grant" value="([^"]+)"`)
	appidRe = regexp.MustCompile(`name="authorizer_appid" value="([^"]+)"`)
)

// browser drives the pages with net/http, without following redirects.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	return &browser{t: t, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(link, referer string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode == 200 && ct != "text/html; charset=utf-8" {
		b.t.Errorf("page Content-Type %q", ct)
	}
	return resp.StatusCode, string(body)
}

// confirm posts the form of appid found on page and returns the redirect target.
func (b *browser) confirm(base, page, appid string) *http.Response {
	b.t.Helper()
	g := grantRe.FindStringSubmatch(page)
	if g == nil {
		b.t.Fatalf("no grant on the page:\n%s", page)
	}
	resp, err := b.hc.PostForm(base+wxsim.ConfirmPath, url.Values{"grant": {g[1]}, "authorizer_appid": {appid}})
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) link(pre, redirect string, mobile bool, mod func(*wxapi.LinkOptions)) string {
	o := wxapi.LinkOptions{LoginBase: e.srv.URL, MobileBase: e.srv.URL, ComponentAppID: e.p.ComponentAppID, PreAuthCode: pre, RedirectURI: redirect, AuthType: 3}
	if mod != nil {
		mod(&o)
	}
	if mobile {
		return wxapi.MobileLink(o)
	}
	return wxapi.PCLink(o)
}

const (
	launchPage = "https://auth.example.com/wechat/auth/start?session=1"
	callback   = "https://auth.example.com/wechat/auth/callback"
)

func TestPageFlowPC(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	status, page := b.get(e.link(pre, callback+"?session=1", false, nil), launchPage)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	appids := appidRe.FindAllStringSubmatch(page, -1)
	if len(appids) != len(e.world.Accounts) {
		t.Fatalf("auth_type=3 offers %d accounts, want %d", len(appids), len(e.world.Accounts))
	}
	form := regexp.MustCompile(`<form method="post" action="/cgi-bin/componentloginpage/confirm"><input type="hidden" name="grant" value="[A-Za-z0-9_-]+"><input type="hidden" name="authorizer_appid" value="wx[0-9a-f]{16}"><button type="submit">授权 [^<]+</button></form>`)
	if n := len(form.FindAllString(page, -1)); n != len(e.world.Accounts) {
		t.Errorf("%d forms in the exact layout, want %d:\n%s", n, len(e.world.Accounts), page)
	}
	mp := e.accountsOf(wxsim.KindMiniProgram)[0]
	resp := b.confirm(e.srv.URL, page, mp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("confirm status %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^https://auth\.example\.com/wechat/auth/callback\?session=1&auth_code=(queryauthcode@@@[A-Za-z0-9_-]{86})&expires_in=3600$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("Location %q", loc)
	}
	qa, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, m[1])
	if err != nil || qa.AuthorizationInfo.AuthorizerAppID != mp {
		t.Fatalf("QueryAuth of the redirect's code = %+v, %v", qa, err)
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeAuthorized)
	if p.Msg.AuthorizationCode != m[1] || p.Msg.PreAuthCode != pre {
		t.Errorf("authorized push %+v", p.Msg)
	}
	// The pre_auth_code is spent: the page and a replayed form both say so.
	if _, again := b.get(e.link(pre, callback, false, nil), launchPage); !strings.Contains(again, "PreAuthCode无效") {
		t.Errorf("page with a used pre_auth_code:\n%s", again)
	}
	resp = b.confirm(e.srv.URL, page, mp)
	if resp.StatusCode != 200 {
		t.Errorf("replayed confirm: status %d", resp.StatusCode)
	}
	st := e.sim.Stats()
	if st.Calls["componentloginpage"] != 2 || st.Calls["componentloginpage/confirm"] != 2 {
		t.Errorf("page calls %v", st.Calls)
	}
}

func TestPageFlowMobileAndFragment(t *testing.T) {
	for _, path := range []string{wxapi.PathBindComponent, wxapi.PathBindComponentLegacy} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t, nil)
			b := newBrowser(t)
			tok := e.componentToken()
			link := e.link(e.preAuthCode(tok), "https://auth.example.com/#/", true, nil)
			link = strings.Replace(link, wxapi.PathBindComponent, path, 1)
			if !strings.HasSuffix(link, "#wechat_redirect") {
				t.Fatalf("mobile link %q", link)
			}
			status, page := b.get(link, launchPage)
			if status != 200 || !strings.Contains(page, "公众号/小程序授权") {
				t.Fatalf("status %d page:\n%s", status, page)
			}
			oa := e.accountsOf(wxsim.KindOfficialAccount)[0]
			loc := b.confirm(e.srv.URL, page, oa).Header.Get("Location")
			if !regexp.MustCompile(`^https://auth\.example\.com/\?auth_code=queryauthcode@@@[A-Za-z0-9_-]{86}&expires_in=3600#/$`).MatchString(loc) {
				t.Errorf("hash-router redirect: Location %q", loc)
			}
			code, err := wxapi.ParseAuthCode(loc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, code.Code); err != nil {
				t.Errorf("QueryAuth: %v", err)
			}
		})
	}
}

func TestPageErrors(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	tests := []struct {
		name, link, referer, want string
	}{
		{"no referer", e.link(pre, callback, false, nil), "", "授权入口页所在域名：空"},
		{"wrong referer", e.link(pre, callback, false, nil), "https://evil.example.net/x", "授权入口页所在域名：evil.example.net"},
		{"subdomain referer", e.link(pre, callback, false, nil), "https://www.auth.example.com/", "授权入口页所在域名：www.auth.example.com"},
		{"redirect_uri host wrong", e.link(pre, "https://other.example.com/cb", false, nil), launchPage, "授权入口页所在域名：auth.example.com"},
		{"wrong component", e.link(pre, callback, false, func(o *wxapi.LinkOptions) { o.ComponentAppID = "wx0000000000000000" }), launchPage, "component_appid 填写错误"},
		{"bad pre_auth_code", e.link("preauthcode@@@nope", callback, false, nil), launchPage, "PreAuthCode无效"},
		{"ltrim bug", e.link(pre[len("preauthcode@@@")+1:], callback, false, nil), launchPage, "PreAuthCode无效"},
		{"auth_type 7", e.link(pre, callback, false, func(o *wxapi.LinkOptions) { o.AuthType = 7 }), launchPage, "auth_type 参数错误"},
		{"category list", e.link(pre, callback, false, nil) + "&category_id_list=1|x", launchPage, "category_id_list 参数错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, page := b.get(tt.link, tt.referer)
			if status != 200 {
				t.Errorf("status %d: WeChat answers its error pages with 200", status)
			}
			if !strings.Contains(page, tt.want) {
				t.Errorf("page does not say %q:\n%s", tt.want, page)
			}
			if grantRe.MatchString(page) {
				t.Error("an error page offers a grant")
			}
		})
	}
	full := wxsim.DomainErrorText("")
	if full != "请确认授权入口页所在域名，与授权后回调页所在域名相同，并且，此两者都必须与申请第三方平台时填写的授权发起页域名相同。授权入口页所在域名：空" {
		t.Errorf("domain text %q", full)
	}
	// None of the failures spent the pre_auth_code.
	if status, page := b.get(e.link(pre, callback, false, nil), launchPage); status != 200 || !grantRe.MatchString(page) {
		t.Errorf("pre_auth_code spent by a failed page:\n%s", page)
	}
}

func TestPageAccountFilter(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t)
	tok := e.componentToken()
	mps, oas := e.accountsOf(wxsim.KindMiniProgram), e.accountsOf(wxsim.KindOfficialAccount)
	tests := []struct {
		name string
		mod  func(*wxapi.LinkOptions)
		want []string
	}{
		{"auth_type 1", func(o *wxapi.LinkOptions) { o.AuthType = 1 }, oas},
		{"auth_type 2", func(o *wxapi.LinkOptions) { o.AuthType = 2 }, mps},
		{"auth_type 6", func(o *wxapi.LinkOptions) { o.AuthType = 6 }, append(append([]string{}, mps...), oas...)},
		{"no auth_type", func(o *wxapi.LinkOptions) { o.AuthType = 0 }, append(append([]string{}, mps...), oas...)},
		{"auth_type 5 (channels)", func(o *wxapi.LinkOptions) { o.AuthType = 5 }, nil},
		{"biz_appid wins over auth_type", func(o *wxapi.LinkOptions) { o.AuthType = 1; o.BizAppID = mps[1] }, mps[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, page := b.get(e.link(e.preAuthCode(tok), callback, false, tt.mod), launchPage)
			var got []string
			for _, m := range appidRe.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("offered %v, want %v", got, tt.want)
			}
		})
	}
	// An account the page did not offer cannot be approved with its grant.
	_, page := b.get(e.link(e.preAuthCode(tok), callback, false, func(o *wxapi.LinkOptions) { o.AuthType = 1 }), launchPage)
	resp := b.confirm(e.srv.URL, page, mps[0])
	if resp.StatusCode != 200 {
		t.Errorf("approving an account the page did not offer: status %d", resp.StatusCode)
	}
}

func TestPageCategoriesAndEscaping(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) {
		w.Accounts[0].NickName = `<script>alert("x")</script>&咖啡`
	})
	b := newBrowser(t)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	link := e.link(pre, callback, false, func(o *wxapi.LinkOptions) { o.CategoryIDs = []int{17, 18} })
	if !strings.Contains(link, "category_id_list=17%7C18") {
		t.Fatalf("link %q", link)
	}
	_, page := b.get(link, launchPage)
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;咖啡") {
		t.Errorf("nick name not escaped:\n%s", page)
	}
	mp := e.world.Accounts[0].AppID
	loc := b.confirm(e.srv.URL, page, mp).Header.Get("Location")
	code, err := wxapi.ParseAuthCode(loc)
	if err != nil {
		t.Fatal(err)
	}
	qa, err := e.client.QueryAuth(e.ctx, tok, e.p.ComponentAppID, code.Code)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, f := range qa.AuthorizationInfo.FuncInfo {
		ids = append(ids, f.FuncscopeCategory.ID)
	}
	if len(ids) != 2 || ids[0] != 17 || ids[1] != 18 {
		t.Errorf("granted sets %v, want the category_id_list 17|18", ids)
	}
}

func TestPageLaxReferer(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) {
		f := false
		w.Settings.StrictReferer = &f
	})
	b := newBrowser(t)
	tok := e.componentToken()
	status, page := b.get(e.link(e.preAuthCode(tok), "http://localhost:1/cb", false, nil), "")
	if status != 200 || !grantRe.MatchString(page) {
		t.Errorf("strict_referer=false still checks the Referer:\n%s", page)
	}
	_, page = b.get(e.link(e.preAuthCode(tok), "not a url", false, nil), "")
	if !strings.Contains(page, "redirect_uri 参数错误") {
		t.Errorf("a relative redirect_uri is still refused:\n%s", page)
	}
}

func TestPageDomainWithPort(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.sim.SetPlatformURLs(e.p.ComponentAppID, e.p.EventURL, "127.0.0.1:8765"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	tok := e.componentToken()
	pre := e.preAuthCode(tok)
	_, page := b.get(e.link(pre, "http://127.0.0.1:8765/wechat/auth/callback", false, nil), "http://127.0.0.1:9999/start")
	if !strings.Contains(page, "授权入口页所在域名：127.0.0.1:9999") {
		t.Errorf("a registered host:port needs the same port:\n%s", page)
	}
	_, page = b.get(e.link(pre, "http://127.0.0.1:8765/wechat/auth/callback", false, nil), "http://127.0.0.1:8765/wechat/auth/start")
	if !grantRe.MatchString(page) {
		t.Errorf("matching host:port refused:\n%s", page)
	}
}

func TestConfirmNeedsPost(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.srv.URL + wxsim.ConfirmPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET confirm: %d", resp.StatusCode)
	}
}
