package wxapi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"wxauth/core/wxcrypt"
)

// InfoType values of pushes to the authorization-event URL.
const (
	InfoTypeVerifyTicket     = "component_verify_ticket"
	InfoTypeAuthorized       = "authorized"
	InfoTypeUpdateAuthorized = "updateauthorized"
	InfoTypeUnauthorized     = "unauthorized"
	// InfoTypeDoctorProbe is wxauth's own: `wxauth doctor` sends it, sealed with the platform's
	// keys, to learn whether the public URL reaches this database's listener. WeChat never sends it.
	InfoTypeDoctorProbe = "wxauth_doctor_probe"
)

// PushMessage is the decrypted inner XML of a push to the authorization-event URL
// (reference §3.2). Fields not used by an InfoType are empty.
type PushMessage struct {
	AppID                        string
	CreateTime                   int64
	InfoType                     string
	ComponentVerifyTicket        string
	AuthorizerAppID              string
	AuthorizationCode            string
	AuthorizationCodeExpiredTime int64 // absolute Unix time (CreateTime + 3600), despite the docs
	PreAuthCode                  string
	ProbeNonce                   string // InfoTypeDoctorProbe only
}

// ParsePushMessage reads a decrypted push. It accepts CDATA or bare text and any whitespace.
func ParsePushMessage(doc []byte) (PushMessage, error) {
	t := bytes.TrimSpace(doc)
	if !bytes.HasPrefix(t, []byte("<xml>")) || !bytes.HasSuffix(t, []byte("</xml>")) {
		return PushMessage{}, fmt.Errorf("push message is not an <xml> document")
	}
	// One pass over the document; the first of each element wins, as with ElementText.
	var m PushMessage
	var createTime, codeExpiry string
	fields := [...]struct {
		name string
		dst  *string
	}{{"AppId", &m.AppID}, {"InfoType", &m.InfoType}, {"ComponentVerifyTicket", &m.ComponentVerifyTicket},
		{"AuthorizerAppid", &m.AuthorizerAppID}, {"AuthorizationCode", &m.AuthorizationCode},
		{"PreAuthCode", &m.PreAuthCode}, {"ProbeNonce", &m.ProbeNonce}, {"CreateTime", &createTime},
		{"AuthorizationCodeExpiredTime", &codeExpiry}}
	var seen [len(fields)]bool
	wxcrypt.Elements(t, func(name, text []byte) {
		for i, f := range fields {
			if !seen[i] && string(name) == f.name {
				seen[i], *f.dst = true, string(text)
				return
			}
		}
	})
	if m.InfoType == "" {
		return m, fmt.Errorf("push message has no InfoType")
	}
	var err error
	if m.CreateTime, err = parseInt(createTime); err != nil {
		return m, fmt.Errorf("push message CreateTime: %w", err)
	}
	if s := codeExpiry; s != "" {
		if m.AuthorizationCodeExpiredTime, err = parseInt(s); err != nil {
			return m, fmt.Errorf("push message AuthorizationCodeExpiredTime: %w", err)
		}
	}
	return m, nil
}

func parseInt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// XML renders the message in the layout of real pushes: CDATA on strings, bare numbers,
// a newline after each element and <xml> on the first child's line.
func (m PushMessage) XML() []byte {
	var b strings.Builder
	b.WriteString("<xml>")
	str := func(name, v string) { fmt.Fprintf(&b, "<%s><![CDATA[%s]]></%s>\n", name, v, name) }
	num := func(name string, v int64) { fmt.Fprintf(&b, "<%s>%d</%s>\n", name, v, name) }
	str("AppId", m.AppID)
	num("CreateTime", m.CreateTime)
	str("InfoType", m.InfoType)
	switch m.InfoType {
	case InfoTypeVerifyTicket:
		str("ComponentVerifyTicket", m.ComponentVerifyTicket)
	case InfoTypeAuthorized, InfoTypeUpdateAuthorized:
		str("AuthorizerAppid", m.AuthorizerAppID)
		str("AuthorizationCode", m.AuthorizationCode)
		num("AuthorizationCodeExpiredTime", m.AuthorizationCodeExpiredTime)
		str("PreAuthCode", m.PreAuthCode)
	case InfoTypeUnauthorized:
		str("AuthorizerAppid", m.AuthorizerAppID)
	case InfoTypeDoctorProbe:
		str("ProbeNonce", m.ProbeNonce)
	}
	b.WriteString("</xml>")
	return []byte(b.String())
}
