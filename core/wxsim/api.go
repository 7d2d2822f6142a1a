package wxsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// call is one API request being served.
type call struct {
	req   *http.Request
	ep    *endpoint
	body  []byte
	ip    netip.Addr
	now   time.Time
	owner string   // the appid the call belongs to (for rid/get)
	after []func() // run once the lock is released (pushes)
}

// endpoint is one API path and how it is served.
type endpoint struct {
	path         string
	name         string // API name: the path without /cgi-bin/ and component/
	quota        bool   // counted against a daily quota
	defaultQuota int    // the daily limit unless Settings.DailyQuota says otherwise
	escapeSlash  bool   // answer with "\/" like the real endpoint does
	handle       func(s *Sim, c *call) (any, *apiErr)
}

// apiName is how quotas and stats name an endpoint: "api_component_token",
// "account/getaccountbasicinfo".
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

// endpoints is the table of API paths. It is a method so that the handlers can be method
// values; it reads nothing from s, and defaultQuotas calls it on a nil *Sim.
func (s *Sim) endpoints() []*endpoint {
	eps := []*endpoint{
		{path: wxapi.PathComponentToken, quota: true, defaultQuota: tokenAPIQuota, handle: (*Sim).apiComponentToken},
		{path: wxapi.PathCreatePreAuthCode, quota: true, handle: (*Sim).apiCreatePreAuthCode},
		{path: wxapi.PathQueryAuth, quota: true, handle: (*Sim).apiQueryAuth},
		{path: wxapi.PathAuthorizerToken, quota: true, defaultQuota: tokenAPIQuota, handle: (*Sim).apiAuthorizerToken},
		{path: wxapi.PathGetAuthorizerInfo, quota: true, escapeSlash: true, handle: (*Sim).apiGetAuthorizerInfo},
		{path: wxapi.PathGetAuthorizerList, quota: true, handle: (*Sim).apiGetAuthorizerList},
		{path: wxapi.PathGetAuthorizerOption, quota: true, handle: (*Sim).apiGetOptionLegacy},
		{path: wxapi.PathSetAuthorizerOption, quota: true, handle: (*Sim).apiSetOptionLegacy},
		{path: pathGetOptionNew, quota: true, handle: (*Sim).apiGetOptionNew},
		{path: pathSetOptionNew, quota: true, handle: (*Sim).apiSetOptionNew},
		{path: wxapi.PathStartPushTicket, quota: true, handle: (*Sim).apiStartPushTicket},
		{path: wxapi.PathComponentClearQuota, handle: (*Sim).apiComponentClearQuota},
		{path: pathClearQuota, handle: (*Sim).apiClearQuota},
		{path: wxapi.PathClearQuotaV2, handle: (*Sim).apiClearQuotaV2},
		{path: wxapi.PathQuotaGet, handle: (*Sim).apiQuotaGet},
		{path: wxapi.PathRidGet, handle: (*Sim).apiRidGet},
		{path: wxapi.PathGetAccountBasicInfo, quota: true, escapeSlash: true, handle: (*Sim).apiAccountBasicInfo},
		{path: wxapi.PathCustomSend, quota: true, handle: (*Sim).apiCustomSend},
	}
	for _, ep := range eps {
		ep.name = apiName(ep.path)
		if ep.quota && ep.defaultQuota == 0 {
			ep.defaultQuota = otherAPIQuota
		}
	}
	return eps
}

// maxRequestBody bounds what one API call may send; every real request body is tiny.
const maxRequestBody = 1 << 20

// serveAPI runs one API call: faults first, then the handler under the lock, then the answer
// (late, with a latency fault).
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request, ep *endpoint) {
	start := time.Now()
	s.mu.Lock()
	s.stats.calls[ep.name]++
	f := s.drawFault(r.URL.Path)
	s.mu.Unlock()

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
	c := &call{req: r, ep: ep, body: body, ip: ip}

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
		resp, aerr = ep.handle(s, c)
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
	// Like WeChat, the call has taken effect before a slow answer leaves: a caller that gives
	// up (or dies) meanwhile has still used its code or minted its token.
	if f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	writeJSON(w, out)
}

// marshalCompact renders v as compact JSON without HTML escaping (< stays <, not \u003c).
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
