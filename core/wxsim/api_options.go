package wxsim

import "wxauth/core/wxapi"

// Authorizer options (§1.7): values by name, and which names accept which values.
var optionValues = map[string]map[string]bool{
	"location_report":  {"0": true, "1": true, "2": true},
	"voice_recognize":  {"0": true, "1": true},
	"customer_service": {"0": true, "1": true},
}

// defaultOptions are an authorization's options before anyone sets them.
func defaultOptions(acc Account) map[string]string {
	if acc.IsMiniProgram() {
		return map[string]string{"location_report": "0", "voice_recognize": "0", "customer_service": "0"}
	}
	return map[string]string{"location_report": "0", "voice_recognize": "1", "customer_service": "0"}
}

// optionReadOnly: location reporting and voice recognition are official-account message
// features; on a mini program they cannot be changed (61025).
func optionReadOnly(acc Account, name string) bool {
	return acc.IsMiniProgram() && (name == "location_report" || name == "voice_recognize")
}

// getOption reads an option of the authorization: 61012 for an unknown name.
func (s *Sim) getOption(a *authorization, name string) (string, *apiErr) {
	if _, ok := optionValues[name]; !ok {
		return "", errc(61012)
	}
	return a.options[name], nil
}

// setOption changes an option: 61012 for an unknown name, 61025 for a read-only one, 61013
// for a value the name does not accept.
func (s *Sim) setOption(a *authorization, name, value string) *apiErr {
	allowed, ok := optionValues[name]
	if !ok {
		return errc(61012)
	}
	if optionReadOnly(s.accounts[a.appid], name) {
		return errc(61025)
	}
	if !allowed[value] {
		return errc(61013)
	}
	a.options[name] = value
	return nil
}

func (s *Sim) apiGetOptionLegacy(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	v, e := s.getOption(a, req.OptionName)
	if e != nil {
		return nil, e
	}
	return wxapi.AuthorizerOption{AuthorizerAppID: a.appid, OptionName: req.OptionName, OptionValue: v}, nil
}

func (s *Sim) apiSetOptionLegacy(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	ps, e := s.componentCall(c, &req, func() string { return req.ComponentAppID })
	if e != nil {
		return nil, e
	}
	a, e := s.authorization(ps, req.AuthorizerAppID)
	if e != nil {
		return nil, e
	}
	if e := s.setOption(a, req.OptionName, req.OptionValue); e != nil {
		return nil, e
	}
	return okBody, nil
}

// optionNewTarget resolves the authorization of the newer option APIs, whose docs disagree on
// the token (UNCONFIRMED): an authorizer token names the account itself; a component token
// needs authorizer_appid in the body, as WxJava sends it.
func (s *Sim) optionNewTarget(c *call, req *wxapi.AuthorizerOptionRequest) (*authorization, *apiErr) {
	rec, ps, e := s.authenticate(c, kindComponent, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	if e := c.decode(req); e != nil {
		return nil, e
	}
	appid := req.AuthorizerAppID
	if rec.kind == kindAuthorizer {
		appid = rec.authorizer
	}
	if e := s.useQuota(c, c.owner); e != nil {
		return nil, e
	}
	return s.authorization(ps, appid)
}

// optionNewResp is the answer of the newer get_authorizer_option: no errcode, no appid.
type optionNewResp struct {
	OptionName  string `json:"option_name"`
	OptionValue string `json:"option_value"`
}

func (s *Sim) apiGetOptionNew(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	a, e := s.optionNewTarget(c, &req)
	if e != nil {
		return nil, e
	}
	v, e := s.getOption(a, req.OptionName)
	if e != nil {
		return nil, e
	}
	return optionNewResp{OptionName: req.OptionName, OptionValue: v}, nil
}

func (s *Sim) apiSetOptionNew(c *call) (any, *apiErr) {
	var req wxapi.AuthorizerOptionRequest
	a, e := s.optionNewTarget(c, &req)
	if e != nil {
		return nil, e
	}
	if e := s.setOption(a, req.OptionName, req.OptionValue); e != nil {
		return nil, e
	}
	return okBody, nil
}
