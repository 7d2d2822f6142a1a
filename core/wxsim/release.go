package wxsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"wxauth/core/release"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// ReleaseItem is one check item of the 全网发布 test, named as WeChat names it.
type ReleaseItem struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	Why  string `json:"why"`
}

// ReleaseReport is the outcome of a release test.
type ReleaseReport struct {
	ComponentAppID  string        `json:"component_appid"`
	AuthorizerAppID string        `json:"authorizer_appid"`
	MessageURL      string        `json:"message_url"`
	Passed          bool          `json:"passed"`
	Items           []ReleaseItem `json:"items"`
}

// releaseWait bounds each wait of the test on the platform (WeChat's own limit is 5 s).
const releaseWait = 5 * time.Second

// ReleaseTest plays WeChat's automated release test against a platform: it pushes the ticket,
// authorizes the first official test account, sends the test messages to the platform's
// message URL, checks every answer and the customer-service call, and revokes the account.
func (s *Sim) ReleaseTest(ctx context.Context, componentAppID string) (ReleaseReport, error) {
	componentAppID = s.defaultPlatform(componentAppID)
	test := release.TestAccounts()[0]
	s.mu.Lock()
	ps, ok := s.platforms[componentAppID]
	if !ok {
		s.mu.Unlock()
		return ReleaseReport{}, fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	s.addTestAccounts()
	msgURL, crypter := messageURL(ps.platform), ps.crypter
	s.mu.Unlock()
	rep := ReleaseReport{ComponentAppID: componentAppID, AuthorizerAppID: test.AppID, MessageURL: msgURL}
	add := func(name string, err error, ok string) {
		it := ReleaseItem{Name: name, OK: err == nil, Why: ok}
		if err != nil {
			it.Why = err.Error()
		}
		rep.Items = append(rep.Items, it)
	}

	if err := s.PushTicket(ctx, componentAppID, false); err != nil {
		// Nothing else can pass when pushes do not arrive; the rest is reported, not run.
		add("组件ticket正确接收", err, "")
		for _, name := range release.CheckItems()[1:] {
			add(name, errors.New("not run: the ticket push failed"), "")
		}
		return rep, nil
	}
	add("组件ticket正确接收", nil, "the ticket push was answered success")
	preAuth := s.issuePreAuthCode(componentAppID)
	add("生成预授权码", nil, "pre_auth_code issued for the test account")
	res, err := s.Authorize(ctx, AuthorizeRequest{ComponentAppID: componentAppID, PreAuthCode: preAuth, AuthorizerAppID: test.AppID})
	add("获取授权code", err, "authorization code issued and pushed (authorized)")
	if err == nil {
		err = s.waitFor(ctx, func() bool { return s.codeUsed(res.AuthCode) },
			"the platform did not exchange the authorized push's code (api_query_auth) within "+releaseWait.String())
	}
	add("授权", err, "the authorized push's code was exchanged")

	target := strings.ReplaceAll(msgURL, "$APPID$", test.AppID)
	m := &messenger{s: s, url: target, crypter: crypter, account: test.UserName}
	add("返回Api文本消息", s.releaseAPIText(ctx, m, componentAppID, test.AppID), "empty answer, then the customer-service message arrived")
	add("返回普通文本消息", m.expectReply(ctx, release.TextMessageXML(test.UserName, release.DefaultTestOpenID, release.TextMessage, s.clock.Now(), 2),
		release.TextMessage+release.TextReplySuffix), "passive reply "+release.TextMessage+release.TextReplySuffix)
	add("发送事件消息", m.expectReply(ctx, release.EventMessageXML(test.UserName, release.DefaultTestOpenID, "LOCATION", s.clock.Now()),
		"LOCATION"+release.EventReplySuffix), "passive reply LOCATION"+release.EventReplySuffix)
	add("取消授权", s.releaseUnauthorize(ctx, componentAppID, test.AppID), "authorization revoked; the unauthorized push was answered success")
	rep.Passed = true
	for _, it := range rep.Items {
		rep.Passed = rep.Passed && it.OK
	}
	return rep, nil
}

// releaseAPIText sends QUERY_AUTH_CODE with a fresh code of the test account and waits for
// the customer-service answer.
func (s *Sim) releaseAPIText(ctx context.Context, m *messenger, componentAppID, appid string) error {
	s.mu.Lock()
	code := s.gen.authCode()
	s.authCodes[code] = &authCodeRec{component: componentAppID, authorizer: appid, expires: s.clock.Now().Add(s.settings.AuthCodeTTL.D())}
	s.mu.Unlock()
	body, err := m.send(ctx, release.TextMessageXML(m.account, release.DefaultTestOpenID, release.QueryAuthPrefix+code, s.clock.Now(), 1))
	if err != nil {
		return err
	}
	if b := strings.TrimSpace(string(body)); b != "" && b != "success" {
		return fmt.Errorf("QUERY_AUTH_CODE must be answered with an empty string at once, got %q", clip(b, 120))
	}
	want := code + release.APIReplySuffix
	return s.waitFor(ctx, func() bool { return s.customSent(appid, release.DefaultTestOpenID, want) },
		"no message/custom/send with content $query_auth_code$"+release.APIReplySuffix+" to the sender within "+releaseWait.String())
}

// issuePreAuthCode makes a pre_auth_code as the platform would have (WeChat pre-authorizes
// the test account itself).
func (s *Sim) issuePreAuthCode(componentAppID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.gen.preAuthCode()
	s.preAuthCodes[code] = &preAuthRec{component: componentAppID, expires: s.clock.Now().Add(s.settings.PreAuthCodeTTL.D())}
	s.stats.preAuthCodes++
	return code
}

func (s *Sim) codeUsed(code string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.authCodes[s.normalizeCode(code, authCodePrefix)]
	return ok && rec.used
}

// addTestAccounts makes the official test accounts known (with s.mu held).
func (s *Sim) addTestAccounts() {
	for i, a := range release.TestAccounts() {
		if _, ok := s.accounts[a.AppID]; ok {
			continue
		}
		kind := KindOfficialAccount
		if a.MiniProgram {
			kind = KindMiniProgram
		}
		s.accounts[a.AppID] = Account{AppID: a.AppID, UserName: a.UserName, NickName: "全网发布测试" + strconv.Itoa(i+1),
			Kind: kind, PrincipalName: "微信全网发布测试"}
		s.accountOrder = append(s.accountOrder, a.AppID)
	}
}

// waitFor polls cond until it holds or releaseWait passes.
func (s *Sim) waitFor(ctx context.Context, cond func() bool, why string) error {
	ctx, cancel := context.WithTimeout(ctx, releaseWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return errors.New(why)
		case <-tick.C:
		}
	}
	return nil
}

// messageURL is a platform's message URL: the declared one, else wxauth's path on the event
// URL's host.
func messageURL(p Platform) string {
	if p.MessageURL != "" {
		return p.MessageURL
	}
	u, err := url.Parse(p.EventURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/wechat/messages/$APPID$"
}

// messenger sends encrypted messages to one account's message URL.
type messenger struct {
	s       *Sim
	url     string
	crypter *wxcrypt.Crypter
	account string
}

func (m *messenger) send(ctx context.Context, msg []byte) ([]byte, error) {
	if m.url == "" || !strings.HasPrefix(m.url, "http") {
		return nil, errors.New("the platform has no message URL (set message_url or event_url with POST /sim/platform)")
	}
	push, err := m.crypter.SealMessage(strings.NewReader(m.s.gen.hex(16)), m.account, msg,
		strconv.FormatInt(m.s.clock.Now().Unix(), 10), m.s.gen.nonce())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, releaseWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"?"+push.Query.Encode(), bytes.NewReader(push.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := m.s.httpClient.Do(req)
	if err != nil {
		var ue *url.Error // it repeats the whole URL with its query
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("message URL %s: %w", m.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("message URL: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("message URL answered HTTP %d: %s", resp.StatusCode, clip(string(body), 120))
	}
	return body, nil
}

// expectReply sends msg and checks the encrypted passive reply's text.
func (m *messenger) expectReply(ctx context.Context, msg []byte, want string) error {
	body, err := m.send(ctx, msg)
	if err != nil {
		return err
	}
	plain, err := m.crypter.OpenReply(body)
	if err != nil {
		return fmt.Errorf("the answer is not an encrypted reply (%v): %s", err, clip(string(body), 120))
	}
	got, _ := wxcrypt.ElementText(plain, "Content")
	if got != want {
		return fmt.Errorf("reply content %q, want %q", got, want)
	}
	if to, _ := wxcrypt.ElementText(plain, "ToUserName"); to != release.DefaultTestOpenID {
		return fmt.Errorf("reply ToUserName %q, want the sender %q", to, release.DefaultTestOpenID)
	}
	return nil
}

// setMessageURL sets a platform's message URL; it must carry $APPID$ as WeChat requires.
func (s *Sim) setMessageURL(componentAppID, u string) error {
	if u != "" && (!strings.Contains(u, "$APPID$") || validateEventURL(strings.ReplaceAll(u, "$APPID$", "wx0")) != nil) {
		return fmt.Errorf("%w: message_url must be an http(s) URL containing $APPID$", ErrBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.platforms[componentAppID]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownPlatform, componentAppID)
	}
	ps.platform.MessageURL = u
	return nil
}

// releaseUnauthorize revokes the test account and waits for its unauthorized push's answer.
func (s *Sim) releaseUnauthorize(ctx context.Context, componentAppID, appid string) error {
	outcome := func() (n int64, last PushRecord) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range s.stats.recent {
			if r.InfoType == wxapi.InfoTypeUnauthorized && r.AuthorizerAppID == appid {
				last = r
			}
		}
		// The total, not the recent window: that one stops growing once full.
		return s.stats.pushesByType[wxapi.InfoTypeUnauthorized], last
	}
	before, _ := outcome()
	if err := s.Unauthorize(ctx, componentAppID, appid); err != nil {
		return err
	}
	if err := s.waitFor(ctx, func() bool { n, _ := outcome(); return n > before },
		"the unauthorized push got no answer within "+releaseWait.String()); err != nil {
		return err
	}
	if _, last := outcome(); !last.OK {
		return errors.New("the unauthorized push failed: " + last.Error)
	}
	return nil
}
