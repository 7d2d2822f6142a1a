package wxsim

import (
	"time"

	"wxauth/core/release"
	"wxauth/core/wxapi"
)

// CustomSend is one customer-service message a platform sent (message/custom/send).
type CustomSend struct {
	AuthorizerAppID string
	ToUser          string
	Content         string
	At              time.Time
}

// apiCustomSend: cgi-bin/message/custom/send with an authorizer token. The only user the
// simulator knows is the release test's sender, so another openid is 40003.
func (s *Sim) apiCustomSend(c *call) (any, *apiErr) {
	rec, _, e := s.authenticate(c, kindAuthorizer)
	if e != nil {
		return nil, e
	}
	if _, ok := s.authorizations[authKey(rec.component, rec.authorizer)]; !ok {
		return nil, errc(40001)
	}
	var req wxapi.CustomSendRequest
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if req.ToUser != release.DefaultTestOpenID {
		return nil, errc(40003)
	}
	if req.MsgType != "text" || req.Text.Content == "" {
		return nil, errc(44004)
	}
	if e := s.useQuota(c, rec.authorizer); e != nil {
		return nil, e
	}
	s.customSends = append(s.customSends, CustomSend{AuthorizerAppID: rec.authorizer, ToUser: req.ToUser,
		Content: req.Text.Content, At: c.now})
	return struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{0, "ok"}, nil
}

// customSent reports whether a customer-service text content reached user through appid's token.
func (s *Sim) customSent(appid, user, content string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.customSends {
		if cs.AuthorizerAppID == appid && cs.ToUser == user && cs.Content == content {
			return true
		}
	}
	return false
}
