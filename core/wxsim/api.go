package wxsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// errTexts are WeChat's errmsg texts (reference §5); the rid is appended when answering.
var errTexts = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40013: "invalid appid",
	40014: "invalid access_token",
	40097: "invalid args",
	40125: "invalid appsecret",
	41001: "access_token missing",
	41002: "appid missing",
	41004: "appsecret missing",
	42001: "access_token expired",
	43002: "require POST method",
	45009: "reach max api daily quota limit",
	47001: "data format error",
	48001: "api unauthorized",
	48006: "forbid to clear quota because of reaching the limit",
	61003: "component is not authorized by this account",
	61004: "access clientip is not registered",
	61005: "component ticket is expired",
	61006: "component ticket is invalid",
	61009: "code is invalid",
	61010: "code is expired",
	61011: "invalid component",
	61012: "invalid option name",
	61013: "invalid option value",
	61023: "refresh_token is invalid",
	61025: "read-only option",
	76001: "rid not found",
	76002: "rid is error",
	76003: "no permission",
	76021: "cgi_path not found",
}

// apiErr is an errcode and its text, without the rid.
type apiErr struct {
	code int
	msg  string
}

func errc(code int) *apiErr {
	msg, ok := errTexts[code]
	if !ok {
		msg = fmt.Sprintf("errcode %d", code)
	}
	return &apiErr{code: code, msg: msg}
}

// errBody is the wire shape of an error.
type errBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// okBody is the success answer of action-style APIs.
var okBody = errBody{ErrCode: 0, ErrMsg: "ok"}

// call is one API request being served.
type call struct {
	r     *http.Request
	ep    *endpoint
	body  []byte
	ip    netip.Addr
	now   time.Time
	owner string   // the appid the call belongs to (for rid/get)
	after []func() // run once the lock is released (pushes)
}

type endpoint struct {
	path        string
	name        string // API name: the path without /cgi-bin/ and component/
	quota       bool   // counted against a daily quota
	defQuota    int
	escapeSlash bool // answer with "\/" like the real endpoint does
	h           func(s *Sim, c *call) (any, *apiErr)
}

func apiName(path string) string {
	name := strings.TrimPrefix(path, "/cgi-bin/")
	return strings.TrimPrefix(name, "component/")
}

// Paths of the newer option APIs and the generic clear_quota, not in wxapi's constants.
const (
	pathGetOptionNew = "/cgi-bin/component/get_authorizer_option"
	pathSetOptionNew = "/cgi-bin/component/set_authorizer_option"
	pathClearQuota   = "/cgi-bin/clear_quota"
)

// Default daily quotas. WeChat says "whatever getApiQuota reports"; one capture read 10000
// for api_component_token (another reply says 2000: UNCONFIRMED). The token APIs are the classic
// victims, so they get the low figure; the others a generous one.
const (
	tokenAPIQuota = 10000
	otherAPIQuota = 100000
)

func (s *Sim) endpoints() []*endpoint {
	eps := []*endpoint{
		{path: wxapi.PathComponentToken, quota: true, defQuota: tokenAPIQuota, h: (*Sim).apiComponentToken},
		{path: wxapi.PathCreatePreAuthCode, quota: true, h: (*Sim).apiCreatePreAuthCode},
		{path: wxapi.PathQueryAuth, quota: true, h: (*Sim).apiQueryAuth},
		{path: wxapi.PathAuthorizerToken, quota: true, defQuota: tokenAPIQuota, h: (*Sim).apiAuthorizerToken},
		{path: wxapi.PathGetAuthorizerInfo, quota: true, escapeSlash: true, h: (*Sim).apiGetAuthorizerInfo},
		{path: wxapi.PathGetAuthorizerList, quota: true, h: (*Sim).apiGetAuthorizerList},
		{path: wxapi.PathGetAuthorizerOption, quota: true, h: (*Sim).apiGetOptionLegacy},
		{path: wxapi.PathSetAuthorizerOption, quota: true, h: (*Sim).apiSetOptionLegacy},
		{path: pathGetOptionNew, quota: true, h: (*Sim).apiGetOptionNew},
		{path: pathSetOptionNew, quota: true, h: (*Sim).apiSetOptionNew},
		{path: wxapi.PathStartPushTicket, quota: true, h: (*Sim).apiStartPushTicket},
		{path: wxapi.PathComponentClearQuota, h: (*Sim).apiComponentClearQuota},
		{path: pathClearQuota, h: (*Sim).apiClearQuota},
		{path: wxapi.PathClearQuotaV2, h: (*Sim).apiClearQuotaV2},
		{path: wxapi.PathQuotaGet, h: (*Sim).apiQuotaGet},
		{path: wxapi.PathRidGet, h: (*Sim).apiRidGet},
		{path: wxapi.PathGetAccountBasicInfo, quota: true, escapeSlash: true, h: (*Sim).apiAccountBasicInfo},
	}
	for _, ep := range eps {
		ep.name = apiName(ep.path)
		if ep.quota && ep.defQuota == 0 {
			ep.defQuota = otherAPIQuota
		}
	}
	return eps
}

// defaultQuotas is the daily limit of every quota-counted API, by API name.
func defaultQuotas() map[string]int {
	q := map[string]int{}
	for _, ep := range (*Sim)(nil).endpoints() {
		if ep.quota {
			q[ep.name] = ep.defQuota
		}
	}
	return q
}

const maxRequestBody = 1 << 20

// serveAPI runs one API call: faults first, then the handler under the lock, then the answer.
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request, ep *endpoint) {
	start := time.Now()
	s.mu.Lock()
	s.stats.calls[ep.name]++
	f := s.drawFault(r.URL.Path)
	s.mu.Unlock()

	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.drop {
		dropConnection(w)
		return
	}
	ip := clientIP(r)
	if f.httpStatus != 0 {
		writeGatewayPage(w, f.httpStatus)
		return
	}
	var body []byte
	var readErr error
	if r.Body != nil {
		body, readErr = io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	}
	c := &call{r: r, ep: ep, body: body, ip: ip}

	s.mu.Lock()
	c.now = s.clock.Now()
	s.sweep(c.now)
	var resp any
	var aerr *apiErr
	switch {
	case f.errcode != 0:
		aerr = errc(f.errcode)
	case r.Method != http.MethodPost:
		aerr = errc(43002)
	case readErr != nil:
		aerr = errc(47001)
	default:
		resp, aerr = ep.h(s, c)
	}
	var out []byte
	if aerr != nil {
		out = s.errorResponse(c, aerr, start)
	} else {
		out = marshalCompact(resp)
		if ep.escapeSlash {
			out = bytes.ReplaceAll(out, []byte("/"), []byte(`\/`))
		}
	}
	s.mu.Unlock()

	for _, fn := range c.after {
		fn()
	}
	if f.malformed {
		out = out[:len(out)/2]
	}
	writeJSON(w, out)
}

// errorResponse renders an error with a fresh rid and remembers the call for rid/get.
func (s *Sim) errorResponse(c *call, e *apiErr, start time.Time) []byte {
	rid := s.gen.rid(c.now)
	msg := e.msg
	if e.code == 61004 {
		msg += " requestIP: " + c.ip.String()
	}
	out := marshalCompact(errBody{ErrCode: e.code, ErrMsg: msg + " rid: " + rid})
	s.stats.errors[fmt.Sprint(e.code)]++
	s.rids[rid] = &ridRec{
		owner:        c.owner,
		invokeTime:   c.now,
		costMs:       int(time.Since(start) / time.Millisecond),
		requestURL:   maskQuery(c.r.URL.Query()),
		requestBody:  maskBody(c.body),
		responseBody: string(out),
		clientIP:     c.ip.String(),
	}
	s.ridQueue = append(s.ridQueue, rid)
	if len(s.ridQueue) > maxRids {
		s.pruneRids(c.now)
	}
	return out
}

// maskQuery renders the query the way the rid tool shows it: tokens cut to a prefix.
func maskQuery(q url.Values) string {
	var parts []string
	for _, k := range sortedKeys(q) {
		for _, v := range q[k] {
			if k == "access_token" || k == "component_access_token" {
				if len(v) > 7 {
					v = v[:7] + "xxxx"
				}
			}
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// secretKeys are body fields whose values the rid tool must not echo.
var secretKeys = map[string]bool{
	"component_appsecret": true, "appsecret": true, "component_secret": true,
	"component_verify_ticket": true, "authorizer_refresh_token": true, "authorization_code": true,
}

func maskBody(body []byte) string {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return clip(strings.ToValidUTF8(string(body), "\uFFFD"), 1024)
	}
	for k, v := range m {
		if str, ok := v.(string); ok && secretKeys[k] {
			m[k] = Mask(str)
		}
	}
	return string(marshalCompact(m))
}

func marshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value marshalled here is built by the simulator from plain types.
		panic(fmt.Sprintf("wxsim: marshalling %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// writeJSON answers like WeChat: 200, its peculiar Content-Type, compact JSON.
func writeJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; encoding=utf-8")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// clientIP is the peer address, IPv4-mapped addresses unmapped.
func clientIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// --- shared checks ---

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
	q := c.r.URL.Query()
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
	} else if id != ps.p.ComponentAppID {
		return nil, errc(40013)
	}
	if e := s.useQuota(c, ps.p.ComponentAppID); e != nil {
		return nil, e
	}
	return ps, nil
}

// quotaDay is the day a daily quota counts in: WeChat resets at midnight Beijing time.
var beijing = time.FixedZone("CST", 8*3600)

func quotaDay(t time.Time) string   { return t.In(beijing).Format("2006-01-02") }
func quotaMonth(t time.Time) string { return t.In(beijing).Format("2006-01") }

// useQuota counts one call of the endpoint for appid, or answers 45009 when the day's quota
// is used up.
func (s *Sim) useQuota(c *call, appid string) *apiErr {
	if !c.ep.quota {
		return nil
	}
	limit := s.settings.DailyQuota[c.ep.name]
	q := s.quotaCounter(appid, c.ep.name, c.now)
	if limit > 0 && q.used >= limit {
		return errc(45009)
	}
	q.used++
	return nil
}

func (s *Sim) quotaCounter(appid, api string, now time.Time) *quotaCounter {
	key := appid + "|" + api
	day := quotaDay(now)
	q, ok := s.quotas[key]
	if !ok || q.period != day {
		q = &quotaCounter{period: day}
		s.quotas[key] = q
	}
	return q
}

// clearQuota resets every counter of appid, within the monthly budget (48006).
func (s *Sim) clearQuota(appid string, now time.Time) *apiErr {
	month := quotaMonth(now)
	cq, ok := s.clears[appid]
	if !ok || cq.period != month {
		cq = &quotaCounter{period: month}
		s.clears[appid] = cq
	}
	if cq.used >= s.settings.ClearQuotaPerMonth {
		return errc(48006)
	}
	cq.used++
	for key := range s.quotas {
		if strings.HasPrefix(key, appid+"|") {
			delete(s.quotas, key)
		}
	}
	return nil
}

// bareOK reports whether a code given without its prefix may be completed.
func (s *Sim) normalizeCode(code, prefix string) string {
	if code == "" || strings.HasPrefix(code, prefix) || !*s.settings.AcceptBareCodes {
		return code
	}
	if strings.Contains(code, "@@@") {
		return code
	}
	return prefix + code
}
