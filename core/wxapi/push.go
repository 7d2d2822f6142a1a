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
	// One pass over the document, one copy of the fields (see wxcrypt.CopyTexts); the first of
	// each element wins, as with ElementText.
	var texts [9][]byte
	var seen uint16
	wxcrypt.Elements(t, func(name, text []byte) {
		if i := pushField(name); i >= 0 && seen&(1<<i) == 0 {
			seen |= 1 << i
			texts[i] = text
		}
	})
	var m PushMessage
	wxcrypt.CopyTexts([]*string{&m.AppID, &m.InfoType, &m.ComponentVerifyTicket, &m.AuthorizerAppID,
		&m.AuthorizationCode, &m.PreAuthCode, &m.ProbeNonce}, texts[:7])
	createTime, codeExpiry := texts[7], texts[8]
	if m.InfoType == "" {
		return m, fmt.Errorf("push message has no InfoType")
	}
	var err error
	if m.CreateTime, err = parseInt(createTime); err != nil {
		return m, fmt.Errorf("push message CreateTime: %w", err)
	}
	if len(codeExpiry) > 0 {
		if m.AuthorizationCodeExpiredTime, err = parseInt(codeExpiry); err != nil {
			return m, fmt.Errorf("push message AuthorizationCodeExpiredTime: %w", err)
		}
	}
	return m, nil
}

// pushField is the index in ParsePushMessage's dst of the element name, or -1.
func pushField(name []byte) int {
	switch string(name) {
	case "AppId":
		return 0
	case "InfoType":
		return 1
	case "ComponentVerifyTicket":
		return 2
	case "AuthorizerAppid":
		return 3
	case "AuthorizationCode":
		return 4
	case "PreAuthCode":
		return 5
	case "ProbeNonce":
		return 6
	case "CreateTime":
		return 7
	case "AuthorizationCodeExpiredTime":
		return 8
	}
	return -1
}

// parseInt reads a decimal field; empty is 0. Plain digits, the only form WeChat sends, are
// read in place; anything else goes to strconv for its verdict and error.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if len(b) <= 18 { // 18 digits cannot overflow an int64
		var v int64
		for _, c := range b {
			if c < '0' || c > '9' {
				return strconv.ParseInt(string(b), 10, 64)
			}
			v = v*10 + int64(c-'0')
		}
		return v, nil
	}
	return strconv.ParseInt(string(b), 10, 64)
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
