package callback_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"wxauth/core/callback"
	"wxauth/core/wxcrypt"
)

// With several platforms, a message is matched to the one whose Token verifies it, and its
// reply is encrypted with that platform's keys.
func TestMessageRoutedBySignature(t *testing.T) {
	a := vecCrypter(t)
	b, err := wxcrypt.New("OtherToken", strings.Repeat("B", 43), "wx00000000000000b2")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	srv := httptest.NewServer(callback.New(callback.Config{
		Crypter:  func(string) (*wxcrypt.Crypter, bool) { return nil, false },
		Crypters: func() []*wxcrypt.Crypter { return []*wxcrypt.Crypter{a, b} },
		Message: func(_ context.Context, component, authorizer string, plain []byte) (callback.MessageReply, error) {
			seen = append(seen, component+"/"+authorizer)
			if bytes.Contains(plain, []byte("ack")) {
				return callback.MessageReply{}, nil
			}
			return callback.MessageReply{XML: []byte("<xml><Content><![CDATA[pong]]></Content></xml>")}, nil
		},
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name, msg, want string
		c               *wxcrypt.Crypter
	}{
		{"first platform", "<xml><MsgType>text</MsgType><Content>ping</Content></xml>", "pong", a},
		{"second platform", "<xml><MsgType>text</MsgType><Content>ping</Content></xml>", "pong", b},
		{"acknowledged", "<xml><MsgType>text</MsgType><Content>ack</Content></xml>", "success", b},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			p, err := tc.c.SealMessage(strings.NewReader("0123456789abcdef"), "gh_3c884a361561", []byte(tc.msg), "1700000000", "5")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(srv.URL+"/wechat/messages/wx00000000000000a1?"+p.Query.Encode(), "text/xml", bytes.NewReader(p.Body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			got := body.String()
			if tc.want != "success" {
				plain, err := tc.c.OpenReply(body.Bytes())
				if err != nil {
					t.Fatalf("reply not sealed with the platform's keys: %v (%s)", err, got)
				}
				got, _ = wxcrypt.ElementText(plain, "Content")
			}
			if got != tc.want || len(seen) != 1 || seen[0] != tc.c.AppID()+"/wx00000000000000a1" {
				t.Fatalf("got %q seen %v", got, seen)
			}
		})
	}
}
