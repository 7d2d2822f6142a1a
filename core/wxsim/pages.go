package wxsim

import (
	"bytes"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// ConfirmPath receives the merchant's approval from the authorization page.
const ConfirmPath = "/cgi-bin/componentloginpage/confirm"

// WeChat's texts on the authorization page (reference §2).
const (
	textBadComponent = "component_appid 填写错误"
	textBadPreAuth   = "PreAuthCode无效"
	textDomainPrefix = "请确认授权入口页所在域名，与授权后回调页所在域名相同，并且，此两者都必须与申请第三方平台时填写的授权发起页域名相同。授权入口页所在域名："
	textEmptyDomain  = "空"
	textBadRedirect  = "redirect_uri 参数错误"
	textBadAuthType  = "auth_type 参数错误"
	textBadBizAppID  = "biz_appid 参数错误"
	textBadCategory  = "category_id_list 参数错误"
	textNotAllowed   = "该帐号不在本次授权范围内"
)

// DomainErrorText is the page text WeChat shows when the Referer or redirect_uri host does not
// match the registered 授权发起页域名; refererHost "" shows 空.
func DomainErrorText(refererHost string) string {
	if refererHost == "" {
		refererHost = textEmptyDomain
	}
	return textDomainPrefix + refererHost
}

// Parsed on first use: only the commands that serve pages pay for it.
var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f2f2f2;margin:0;color:#191919}
main{max-width:560px;margin:40px auto;background:#fff;padding:32px;border-radius:8px}
h1{font-size:20px;font-weight:500}
.msg{color:#fa5151;line-height:1.6}
.account{border-top:1px solid #eee;padding:16px 0}
.meta{color:#888;font-size:13px}
button{background:#07c160;color:#fff;border:0;border-radius:4px;padding:8px 20px;font-size:15px;cursor:pointer}
footer{color:#aaa;font-size:12px;margin-top:24px}
</style>
</head>
<body>
<main>
{{- if .Error}}
<h1>授权失败</h1>
<p class="msg">{{.Error}}</p>
{{- else}}
<h1>{{if .Mobile}}公众号/小程序授权{{else}}公众平台帐号授权{{end}}</h1>
<p>第三方平台 {{.ComponentAppID}} 申请获得你的帐号授权。请选择要授权的帐号：</p>
<p class="meta">授权权限集：{{.Categories}}</p>
{{- range .Accounts}}
<div class="account">
<p>{{.NickName}} <span class="meta">{{.KindLabel}} · {{.UserName}} · {{.PrincipalName}}</span></p>
<form method="post" action="/cgi-bin/componentloginpage/confirm"><input type="hidden" name="grant" value="{{$.Grant}}"><input type="hidden" name="authorizer_appid" value="{{.AppID}}"><button type="submit">授权 {{.NickName}}</button></form>
</div>
{{- else}}
<p class="msg">没有符合条件的可授权帐号</p>
{{- end}}
{{- end}}
<footer>wxauth WeChat simulator</footer>
</main>
</body>
</html>
`))
})

type pageAccount struct {
	Account
	KindLabel string
}

type pageData struct {
	Title          string
	Error          string
	Mobile         bool
	ComponentAppID string
	Categories     string
	Grant          string
	Accounts       []pageAccount
}

func renderPage(w http.ResponseWriter, d pageData) {
	if d.Title == "" {
		d.Title = "授权 - 微信公众平台"
	}
	var buf bytes.Buffer
	if err := pageTmpl().Execute(&buf, d); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func errorPage(w http.ResponseWriter, text string) {
	renderPage(w, pageData{Title: "授权失败", Error: text})
}

// refererHost is the host[:port] of a Referer header, "" when absent or unreadable.
func refererHost(ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	return u.Host
}

// domainMatches compares a host[:port] to the registered domain: with the port when the
// domain has one, by host name otherwise ("授权域名不看一级域名": the full host counts).
func domainMatches(host, domain string) bool {
	if host == "" || domain == "" {
		return false
	}
	if _, _, err := net.SplitHostPort(domain); err == nil {
		return strings.EqualFold(host, domain)
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	return strings.EqualFold(strings.Trim(name, "[]"), strings.Trim(domain, "[]"))
}

// parseCategories reads category_id_list: ids separated by | (commas tolerated).
func parseCategories(s string) ([]int, bool) {
	if s == "" {
		return nil, true
	}
	var ids []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return nil, false
		}
		ids = append(ids, n)
	}
	return ids, len(ids) > 0
}

// servePage is the authorization page (PC componentloginpage, mobile bindcomponent). Checks in
// WeChat's order of concern: the component, the domains (Referer and redirect_uri), the
// pre_auth_code, then the account filter.
func (s *Sim) servePage(w http.ResponseWriter, r *http.Request, name string, mobile bool) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.calls[name]++
	now := s.clock.Now()

	ps, ok := s.platforms[q.Get("component_appid")]
	if !ok {
		errorPage(w, textBadComponent)
		return
	}
	redirect := q.Get("redirect_uri")
	if *s.settings.StrictReferer {
		if ref, ok := domainsMatch(r.Referer(), redirect, ps.platform.AuthDomain); !ok {
			errorPage(w, DomainErrorText(ref))
			return
		}
	}
	code := s.normalizeCode(q.Get("pre_auth_code"), preAuthCodePrefix)
	pa, ok := s.preAuthCodes[code]
	if !ok || pa.component != ps.platform.ComponentAppID || pa.used || !now.Before(pa.expires) {
		errorPage(w, textBadPreAuth)
		return
	}
	if _, err := parseRedirect(redirect); err != nil {
		errorPage(w, textBadRedirect)
		return
	}
	authType, ok := parseAuthType(q.Get("auth_type"))
	if !ok {
		errorPage(w, textBadAuthType)
		return
	}
	cats, ok := parseCategories(q.Get("category_id_list"))
	if !ok {
		errorPage(w, textBadCategory)
		return
	}
	accounts, ok := s.pageAccounts(q.Get("biz_appid"), authType)
	if !ok {
		errorPage(w, textBadBizAppID)
		return
	}
	grant := s.newGrant(&grantRec{
		component: ps.platform.ComponentAppID, preAuthCode: code, redirectURI: redirect,
		categoryIDs: cats, expires: pa.expires,
	}, accounts)
	renderPage(w, pageData{
		Mobile: mobile, ComponentAppID: ps.platform.ComponentAppID, Categories: s.categoriesText(cats), Grant: grant, Accounts: accounts,
	})
}

// domainsMatch applies the Referer check: both the Referer host and the redirect_uri host must
// be the registered domain. It returns the Referer host for the error text.
func domainsMatch(referer, redirect, authDomain string) (string, bool) {
	ref := refererHost(referer)
	redirectHost := ""
	if u, err := url.Parse(redirect); err == nil {
		redirectHost = u.Host
	}
	return ref, domainMatches(ref, authDomain) && domainMatches(redirectHost, authDomain)
}

// parseAuthType reads auth_type: absent is 0; 7 is not a value WeChat defines.
func parseAuthType(v string) (int, bool) {
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 8 || n == 7 {
		return 0, false
	}
	return n, true
}

// pageAccounts lists the accounts the page offers: the one biz_appid names (false when it is
// unknown), which wins over auth_type (reference §2.2), or every account of the kinds
// auth_type allows.
func (s *Sim) pageAccounts(bizAppID string, authType int) ([]pageAccount, bool) {
	var accounts []pageAccount
	if bizAppID != "" {
		acc, ok := s.accounts[bizAppID]
		if !ok {
			return nil, false
		}
		return append(accounts, labelled(acc)), true
	}
	for _, id := range s.accountOrder {
		acc := s.accounts[id]
		if kindAllowed(authType, acc) {
			accounts = append(accounts, labelled(acc))
		}
	}
	return accounts, true
}

// newGrant remembers what the page was opened with, restricted to the accounts it offers, so
// that the confirmation cannot widen it; it returns the opaque id the form posts back.
func (s *Sim) newGrant(g *grantRec, offered []pageAccount) string {
	id := s.gen.opaque()
	g.allowed = map[string]bool{}
	for _, a := range offered {
		g.allowed[a.AppID] = true
	}
	s.grants[id] = g
	return id
}

// categoriesText shows the permission sets asked for, as the page lists them.
func (s *Sim) categoriesText(cats []int) string {
	if len(cats) == 0 || !*s.settings.HonorCategoryIDs {
		return "全部已全网发布的权限集"
	}
	parts := make([]string, len(cats))
	for i, c := range cats {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, "|")
}

// kindAllowed applies auth_type: 1 official accounts, 2 mini programs, 3/6/0 both; 4, 5 and 8
// are account kinds (推客, 视频号, 带货助手) this simulator has none of.
func kindAllowed(authType int, acc Account) bool {
	switch authType {
	case 0, 3, 6:
		return true
	case 1:
		return acc.Kind == KindOfficialAccount
	case 2:
		return acc.Kind == KindMiniProgram
	}
	return false
}

func labelled(acc Account) pageAccount {
	label := "公众号"
	if acc.IsMiniProgram() {
		label = "小程序"
	}
	return pageAccount{Account: acc, KindLabel: label}
}

// serveConfirm is the merchant pressing 授权: it approves and 302s to redirect_uri with
// auth_code and expires_in.
func (s *Sim) serveConfirm(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		errorPage(w, textBadPreAuth)
		return
	}
	grant, appid := r.PostForm.Get("grant"), r.PostForm.Get("authorizer_appid")
	s.mu.Lock()
	s.stats.calls["componentloginpage/confirm"]++
	now := s.clock.Now()
	g, ok := s.grants[grant]
	if !ok || !now.Before(g.expires) {
		s.mu.Unlock()
		errorPage(w, textBadPreAuth)
		return
	}
	res, send, err := s.approve(AuthorizeRequest{
		ComponentAppID: g.component, PreAuthCode: g.preAuthCode, AuthorizerAppID: appid,
		RedirectURI: g.redirectURI, CategoryIDs: g.categoryIDs,
	}, g.allowed, now)
	if err == nil {
		delete(s.grants, grant)
	}
	s.mu.Unlock()
	switch {
	case errors.Is(err, ErrAccountNotAllowed), errors.Is(err, ErrUnknownAccount):
		errorPage(w, textNotAllowed)
		return
	case err != nil:
		errorPage(w, textBadPreAuth)
		return
	}
	if send != nil {
		send()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, res.RedirectURL, http.StatusFound)
}
