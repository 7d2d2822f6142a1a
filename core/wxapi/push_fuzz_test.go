package wxapi_test

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// parsePushMessageReference is ParsePushMessage as it was before it shared one copy among the
// fields and read numbers in place: a string per field, strconv for the numbers.
func parsePushMessageReference(doc []byte) (wxapi.PushMessage, error) {
	t := bytes.TrimSpace(doc)
	if !bytes.HasPrefix(t, []byte("<xml>")) || !bytes.HasSuffix(t, []byte("</xml>")) {
		return wxapi.PushMessage{}, fmt.Errorf("push message is not an <xml> document")
	}
	var m wxapi.PushMessage
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
	if createTime != "" {
		if m.CreateTime, err = strconv.ParseInt(createTime, 10, 64); err != nil {
			return m, fmt.Errorf("push message CreateTime: %w", err)
		}
	}
	if codeExpiry != "" {
		if m.AuthorizationCodeExpiredTime, err = strconv.ParseInt(codeExpiry, 10, 64); err != nil {
			return m, fmt.Errorf("push message AuthorizationCodeExpiredTime: %w", err)
		}
	}
	return m, nil
}

func FuzzParsePushMessage(f *testing.F) {
	f.Add([]byte(wxapi.PushMessage{AppID: "wx1", CreateTime: 1715943329, InfoType: wxapi.InfoTypeVerifyTicket, ComponentVerifyTicket: "ticket@@@x"}.XML()))
	f.Add([]byte(wxapi.PushMessage{AppID: "wx1", CreateTime: 1, InfoType: wxapi.InfoTypeAuthorized, AuthorizerAppID: "wx2",
		AuthorizationCode: "c", AuthorizationCodeExpiredTime: 3601, PreAuthCode: "p"}.XML()))
	for _, n := range []string{"+5", "-5", "007", "999999999999999999", "9223372036854775807", "9223372036854775808", "1e3", " 12 ", "１２"} {
		f.Add([]byte("<xml><InfoType>x</InfoType><CreateTime>" + n + "</CreateTime><AuthorizationCodeExpiredTime>" + n + "</AuthorizationCodeExpiredTime></xml>"))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := wxapi.ParsePushMessage(doc)
		want, werr := parsePushMessageReference(doc)
		if fmt.Sprint(err) != fmt.Sprint(werr) || (err == nil && got != want) {
			t.Fatalf("ParsePushMessage = %+v, %v; reference %+v, %v", got, err, want, werr)
		}
	})
}
