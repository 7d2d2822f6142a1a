package callback_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"wxauth/core/callback"
	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// FuzzPushHandler sends random queries and bodies to POST /wechat/events. The handler must
// never panic, and must answer 200 `success` exactly when the push is genuine: it verifies
// and decrypts with the platform's key, parses, and names the same platform inside; and then
// the engine must have received exactly that message.
func FuzzPushHandler(f *testing.F) {
	for _, v := range loadVectors(f) {
		q := fmt.Sprintf("signature=%s&timestamp=%s&nonce=%s&encrypt_type=aes&msg_signature=%s", v.Signature, v.Timestamp, v.Nonce, v.MsgSignature)
		f.Add(q, []byte("<xml>\n    <AppId><![CDATA["+v.AppID+"]]></AppId>\n    <Encrypt><![CDATA["+v.Encrypt+"]]></Encrypt>\n</xml>\n"))
		f.Add(q, []byte("<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA["+v.Encrypt+"]]></Encrypt></xml>"))
		if v.Name == "V1" {
			f.Add(q, readFile(f, "../../testdata/vectors/v1_push.xml"))
		}
		if v.Name == "V2" {
			f.Add(q, readFile(f, "../../testdata/vectors/v2_push.xml"))
		}
	}
	f.Add("msg_signature=0000000000000000000000000000000000000000&timestamp=1&nonce=2", []byte("<xml><AppId>"+vecAppID+"</AppId><Encrypt>AAAA</Encrypt></xml>"))
	f.Add("", []byte{})
	f.Add("%zz&&==;", []byte("<xml></xml>"))

	c := vecCrypter(f)
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		var r recorder
		h := callback.New(r.config(t, c))
		req := httptest.NewRequest(http.MethodPost, "/wechat/events", bytes.NewReader(body))
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		want, wantOK := genuine(c, query, body)
		got := rec.Code == http.StatusOK
		if got != wantOK {
			t.Fatalf("answered %d %q; genuine push: %v", rec.Code, rec.Body.String(), wantOK)
		}
		if got {
			if rec.Body.String() != "success" {
				t.Fatalf("200 with %q", rec.Body.String())
			}
			if r.pushCount() != 1 || r.pushes[0] != want {
				t.Fatalf("engine received %+v, want %+v", r.pushes, want)
			}
		} else if r.pushCount() != 0 {
			t.Fatalf("rejected (%d) but the engine received %+v", rec.Code, r.pushes)
		}
	})
}

// genuine is the fuzz oracle: what a push must satisfy to be acted on, checked with the
// library calls directly rather than through the handler.
func genuine(c *wxcrypt.Crypter, query string, body []byte) (wxapi.PushMessage, bool) {
	if len(body) > callback.MaxPushBytes {
		return wxapi.PushMessage{}, false
	}
	env, err := wxcrypt.ParseEnvelope(body)
	if err != nil || env.AppID != c.AppID() {
		return wxapi.PushMessage{}, false
	}
	q, _ := url.ParseQuery(query)
	plain, _, err := c.OpenPush(wxcrypt.ParsePushQuery(q), body)
	if err != nil {
		return wxapi.PushMessage{}, false
	}
	m, err := wxapi.ParsePushMessage(plain)
	if err != nil || (m.AppID != "" && m.AppID != env.AppID) {
		return wxapi.PushMessage{}, false
	}
	return m, true
}
