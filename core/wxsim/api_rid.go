package wxsim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// ridRec is what openapi/rid/get tells about an error answer.
type ridRec struct {
	owner        string
	invokeTime   time.Time
	costMs       int
	requestURL   string
	requestBody  string
	responseBody string
	clientIP     string
}

// Rids are kept 7 days, as WeChat keeps them, and at most maxRids at a time so that a client
// stuck in an error loop cannot grow the simulator without bound.
const (
	ridRetention = 7 * 24 * time.Hour
	maxRids      = 100_000
)

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
		requestURL:   maskQuery(c.req.URL.Query()),
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

// pruneRids forgets rids, oldest first, that are past their retention or beyond maxRids.
func (s *Sim) pruneRids(now time.Time) {
	drop := 0
	for drop < len(s.ridQueue) {
		r, ok := s.rids[s.ridQueue[drop]]
		if ok && now.Sub(r.invokeTime) <= ridRetention && len(s.ridQueue)-drop <= maxRids {
			break
		}
		delete(s.rids, s.ridQueue[drop])
		drop++
	}
	s.ridQueue = s.ridQueue[drop:]
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

// maskBody renders a request body for rid/get with its secrets masked; a body that is not a
// JSON object is shown as text, clipped.
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

// ridResp is the answer of openapi/rid/get.
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
	if !ridRe().MatchString(req.Rid) {
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
