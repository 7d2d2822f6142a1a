package wxsim

import (
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// quotaCounter counts calls (or quota resets) in one period: a Beijing day (or month).
type quotaCounter struct {
	period string
	used   int
}

// Default daily quotas. WeChat says "whatever getApiQuota reports"; one capture read 10000
// for api_component_token (another reply says 2000: UNCONFIRMED). The token APIs are the classic
// victims, so they get the low figure; the others a generous one.
const (
	tokenAPIQuota = 10000
	otherAPIQuota = 100000
)

// defaultQuotas is the daily limit of every quota-counted API, by API name.
func defaultQuotas() map[string]int {
	q := map[string]int{}
	for _, ep := range (*Sim)(nil).endpoints() {
		if ep.quota {
			q[ep.name] = ep.defaultQuota
		}
	}
	return q
}

// beijing is the time zone of quota periods: WeChat resets quotas at midnight Beijing time.
var beijing = time.FixedZone("CST", 8*3600)

// quotaDay is the day a daily quota counts in.
func quotaDay(t time.Time) string { return t.In(beijing).Format("2006-01-02") }

// quotaMonth is the month the budget of quota resets counts in.
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

// quotaCounter is today's counter of appid's calls to api, started afresh each day.
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
	cq, ok := s.quotaClears[appid]
	if !ok || cq.period != month {
		cq = &quotaCounter{period: month}
		s.quotaClears[appid] = cq
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

// apiComponentClearQuota: the legacy component/clear_quota resets the platform's own counters.
func (s *Sim) apiComponentClearQuota(c *call) (any, *apiErr) {
	var req wxapi.ComponentAppIDRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	if e := s.clearQuota(ps.platform.ComponentAppID, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

// apiClearQuota: the generic cgi-bin/clear_quota, {"appid"} of the token's own account.
func (s *Sim) apiClearQuota(c *call) (any, *apiErr) {
	_, _, e := s.authenticate(c, kindComponent, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	var req struct {
		AppID string `json:"appid"`
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	switch {
	case req.AppID == "":
		return nil, errc(41002)
	case req.AppID != c.owner:
		return nil, errc(40013)
	}
	if e := s.clearQuota(req.AppID, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

// apiClearQuotaV2: component/clear_quota/v2 with the AppSecret, for the platform or (appid
// set) one of its authorizers. It works even when fetching a token hits 45009.
func (s *Sim) apiClearQuotaV2(c *call) (any, *apiErr) {
	var req wxapi.ClearQuotaV2Request
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	ps, e := s.platformBySecret(c, req.ComponentAppID, req.AppSecret)
	if e != nil {
		return nil, e
	}
	target := ps.platform.ComponentAppID
	if req.AppID != "" {
		a, e := s.authorization(ps, req.AppID)
		if e != nil {
			return nil, e
		}
		target = a.appid
	}
	if e := s.clearQuota(target, c.now); e != nil {
		return nil, e
	}
	return okBody, nil
}

// quotaResp is the answer of openapi/quota/get.
type quotaResp struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	Quota   struct {
		DailyLimit int `json:"daily_limit"`
		Used       int `json:"used"`
		Remain     int `json:"remain"`
	} `json:"quota"`
}

// apiQuotaGet: openapi/quota/get for the token's account.
func (s *Sim) apiQuotaGet(c *call) (any, *apiErr) {
	if _, _, e := s.authenticate(c, kindComponent, kindAuthorizer); e != nil {
		return nil, e
	}
	var req wxapi.QuotaGetRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	var ep *endpoint
	for _, x := range s.endpoints() {
		if x.path == req.CgiPath && x.quota {
			ep = x
		}
	}
	if ep == nil {
		return nil, errc(76021)
	}
	limit := s.settings.DailyQuota[ep.name]
	used := s.quotaCounter(c.owner, ep.name, c.now).used
	resp := quotaResp{ErrMsg: "ok"}
	resp.Quota.DailyLimit, resp.Quota.Used, resp.Quota.Remain = limit, used, max(limit-used, 0)
	return resp, nil
}
