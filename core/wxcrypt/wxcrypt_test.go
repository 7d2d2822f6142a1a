package wxcrypt_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"wxauth/core/wxcrypt"
)

type vector struct {
	Name         string `json:"name"`
	Token        string `json:"token"`
	AESKey       string `json:"aes_key"`
	AppID        string `json:"appid"`
	Random       string `json:"random"`
	Timestamp    string `json:"timestamp"`
	Nonce        string `json:"nonce"`
	Msg          string `json:"msg"`
	Encrypt      string `json:"encrypt"`
	MsgSignature string `json:"msg_signature"`
	Signature    string `json:"signature"`
	Pad          int    `json:"pad"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/vectors/wxcrypt.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func mustNew(t testing.TB, token, key, appid string) *wxcrypt.Crypter {
	t.Helper()
	c, err := wxcrypt.New(token, key, appid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVectorsBothWays(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c := mustNew(t, v.Token, v.AESKey, v.AppID)
			enc, err := c.Encrypt(strings.NewReader(v.Random), []byte(v.Msg))
			if err != nil {
				t.Fatal(err)
			}
			if enc != v.Encrypt {
				t.Errorf("Encrypt:\n got %s\nwant %s", enc, v.Encrypt)
			}
			msg, appid, err := c.Decrypt(v.Encrypt)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg) != v.Msg || appid != v.AppID {
				t.Errorf("Decrypt = %q, %q", msg, appid)
			}
			if got := c.MsgSignature(v.Timestamp, v.Nonce, v.Encrypt); got != v.MsgSignature {
				t.Errorf("MsgSignature = %s, want %s", got, v.MsgSignature)
			}
			if v.Signature != "" {
				if got := c.Signature(v.Timestamp, v.Nonce); got != v.Signature {
					t.Errorf("Signature = %s, want %s", got, v.Signature)
				}
			}
			// The pad value is the last plaintext byte; check we agree with the reference.
			ct, _ := base64.StdEncoding.DecodeString(v.Encrypt)
			if full := 20 + len(v.Msg) + len(v.AppID); len(ct)-full != v.Pad {
				t.Errorf("pad = %d, want %d", len(ct)-full, v.Pad)
			}
		})
	}
}

func TestOpenPushFixtures(t *testing.T) {
	for _, v := range loadVectors(t) {
		if v.Name != "V1" && v.Name != "V2" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			body, err := os.ReadFile("../../testdata/vectors/" + strings.ToLower(v.Name) + "_push.xml")
			if err != nil {
				t.Fatal(err)
			}
			c := mustNew(t, v.Token, v.AESKey, v.AppID)
			q := wxcrypt.PushQuery{Signature: v.Signature, Timestamp: v.Timestamp, Nonce: v.Nonce, EncryptType: "aes", MsgSignature: v.MsgSignature}
			msg, env, err := c.OpenPush(q, body)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg) != v.Msg || env.AppID != v.AppID {
				t.Errorf("OpenPush = %q, %+v", msg, env)
			}
			push, err := c.SealPush(strings.NewReader(v.Random), []byte(v.Msg), v.Timestamp, v.Nonce)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(push.Body, body) {
				t.Errorf("SealPush body:\n%s\nwant\n%s", push.Body, body)
			}
			if push.Query != q {
				t.Errorf("SealPush query = %+v, want %+v", push.Query, q)
			}
			wantQuery := "signature=" + v.Signature + "&timestamp=" + v.Timestamp + "&nonce=" + v.Nonce + "&encrypt_type=aes&msg_signature=" + v.MsgSignature
			if push.Query.Encode() != wantQuery {
				t.Errorf("Encode = %s", push.Query.Encode())
			}
		})
	}
}

// TestRoundTripEveryPad covers plaintext lengths 0..200, which walks every pad value 1..32.
func TestRoundTripEveryPad(t *testing.T) {
	c := mustNew(t, "tok", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx0123456789abcdef")
	pads := map[int]bool{}
	for n := 0; n <= 200; n++ {
		msg := bytes.Repeat([]byte{'m'}, n)
		enc, err := c.Encrypt(strings.NewReader("0123456789abcdef"), msg)
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := base64.StdEncoding.DecodeString(enc)
		pads[len(ct)-(20+n+len("wx0123456789abcdef"))] = true
		got, appid, err := c.Decrypt(enc)
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if !bytes.Equal(got, msg) || appid != "wx0123456789abcdef" {
			t.Fatalf("len %d: round trip mismatch", n)
		}
	}
	for p := 1; p <= 32; p++ {
		if !pads[p] {
			t.Errorf("pad %d never exercised", p)
		}
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, key := range []string{"", "short", strings.Repeat("A", 42), strings.Repeat("A", 44), strings.Repeat("A", 42) + "!"} {
		_, err := wxcrypt.New("t", key, "")
		var e *wxcrypt.Error
		if !errors.As(err, &e) || e.Code != wxcrypt.CodeIllegalAESKey {
			t.Errorf("key %q: err = %v, want -40004", key, err)
		}
		if err != nil && !strings.Contains(err.Error(), "-40004 IllegalAesKey") {
			t.Errorf("message %q lacks the official code", err)
		}
	}
}

func TestCorruptInputs(t *testing.T) {
	vs := loadVectors(t)
	v1 := vs[2]
	c := mustNew(t, v1.Token, v1.AESKey, v1.AppID)
	ct, _ := base64.StdEncoding.DecodeString(v1.Encrypt)
	flipLast := append([]byte(nil), ct...)
	flipLast[len(flipLast)-1] ^= 0xff // garbles the padding
	// Re-encrypting a buffer whose length field is too large gives -40008.
	otherApp := mustNew(t, v1.Token, v1.AESKey, "wxffffffffffffffff")
	foreign, _ := otherApp.Encrypt(strings.NewReader(v1.Random), []byte("hi"))

	cases := []struct {
		name    string
		c       *wxcrypt.Crypter
		encrypt string
		code    int
	}{
		{"not base64", c, "%%%not-base64%%%", wxcrypt.CodeDecodeBase64},
		{"space for plus", c, strings.ReplaceAll(v1.Encrypt, "+", " "), wxcrypt.CodeDecodeBase64},
		{"empty", c, "", wxcrypt.CodeDecryptAES},
		{"truncated block", c, base64.StdEncoding.EncodeToString(ct[:len(ct)-7]), wxcrypt.CodeDecryptAES},
		{"bad padding", c, base64.StdEncoding.EncodeToString(flipLast), wxcrypt.CodeDecryptAES},
		{"wrong key", mustNew(t, v1.Token, strings.Repeat("B", 43), v1.AppID), v1.Encrypt, wxcrypt.CodeDecryptAES},
		{"wrong appid", c, foreign, wxcrypt.CodeValidateAppID},
		{"short buffer", c, sealRaw(t, v1.AESKey, make([]byte, 10)), wxcrypt.CodeIllegalBuffer},
		{"length overflow", c, sealRaw(t, v1.AESKey, append(make([]byte, 16), 0x7f, 0xff, 0xff, 0xff, 'x')), wxcrypt.CodeIllegalBuffer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.c.Decrypt(tc.encrypt)
			var e *wxcrypt.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *wxcrypt.Error", err)
			}
			if e.Code != tc.code {
				t.Fatalf("code = %d (%v), want %d", e.Code, err, tc.code)
			}
			if e.Name() == "" || e.Cause() == "" {
				t.Errorf("code %d has no name or explanation", e.Code)
			}
		})
	}
}

// sealRaw encrypts an arbitrary plaintext buffer (already without the WeChat framing).
func sealRaw(t *testing.T, aesKey string, plain []byte) string {
	t.Helper()
	// Encrypting with an appid of the right length and msg chosen so that the framing
	// produces exactly `plain` is awkward; instead build the buffer by hand.
	key, err := wxcrypt.DecodeAESKey(aesKey)
	if err != nil {
		t.Fatal(err)
	}
	return rawCBC(key, plain)
}

func TestSignatureChecks(t *testing.T) {
	v1 := loadVectors(t)[2]
	c := mustNew(t, v1.Token, v1.AESKey, v1.AppID)
	body, _ := os.ReadFile("../../testdata/vectors/v1_push.xml")
	good := wxcrypt.PushQuery{Timestamp: v1.Timestamp, Nonce: v1.Nonce, MsgSignature: v1.MsgSignature}

	cases := []struct {
		name string
		c    *wxcrypt.Crypter
		q    wxcrypt.PushQuery
		body []byte
		code int
		hint string
	}{
		{"wrong token", mustNew(t, "BBBBB", v1.AESKey, v1.AppID), good, body, wxcrypt.CodeValidateSignature, "msg_signature does not match"},
		{"plain signature used", c, wxcrypt.PushQuery{Timestamp: v1.Timestamp, Nonce: v1.Nonce, MsgSignature: v1.Signature}, body, wxcrypt.CodeValidateSignature, "plain `signature`"},
		{"missing signature", c, wxcrypt.PushQuery{Timestamp: v1.Timestamp, Nonce: v1.Nonce}, body, wxcrypt.CodeValidateSignature, "missing"},
		{"tampered timestamp", c, wxcrypt.PushQuery{Timestamp: "1", Nonce: v1.Nonce, MsgSignature: v1.MsgSignature}, body, wxcrypt.CodeValidateSignature, ""},
		{"not xml", c, good, []byte("hello"), wxcrypt.CodeParseXML, ""},
		{"no encrypt", c, good, []byte("<xml><AppId>x</AppId></xml>"), wxcrypt.CodeParseXML, ""},
		{"unterminated", c, good, body[:len(body)-20], wxcrypt.CodeParseXML, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.c.OpenPush(tc.q, tc.body)
			var e *wxcrypt.Error
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Fatalf("err = %v, want code %d", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("err %q lacks %q", err, tc.hint)
			}
		})
	}
	if err := c.VerifySignature(v1.Signature, v1.Timestamp, v1.Nonce); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
}

func TestParseEnvelopeWhitespace(t *testing.T) {
	for _, body := range []string{
		"<xml><AppId><![CDATA[wxa]]></AppId><Encrypt><![CDATA[abc]]></Encrypt></xml>",
		"\n\t <xml>\r\n  <AppId>\n<![CDATA[wxa]]>\n</AppId>\n\t<Encrypt> abc </Encrypt>\n</xml>\n\n",
		"<xml><AppId>wxa</AppId><Encrypt><![CDATA[abc]]></Encrypt></xml>",
	} {
		env, err := wxcrypt.ParseEnvelope([]byte(body))
		if err != nil || env.AppID != "wxa" || env.Encrypt != "abc" {
			t.Errorf("ParseEnvelope(%q) = %+v, %v", body, env, err)
		}
	}
}

func BenchmarkOpenPushV1(b *testing.B) {
	v1 := loadVectors(b)[2]
	c := mustNew(b, v1.Token, v1.AESKey, v1.AppID)
	body, err := os.ReadFile("../../testdata/vectors/v1_push.xml")
	if err != nil {
		b.Fatal(err)
	}
	q := wxcrypt.PushQuery{Timestamp: v1.Timestamp, Nonce: v1.Nonce, MsgSignature: v1.MsgSignature}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.OpenPush(q, body); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Encrypt, v.MsgSignature)
	}
	body, _ := os.ReadFile("../../testdata/vectors/v2_push.xml")
	f.Add(string(body), "")
	c := mustNew(f, "AAAAA", strings.Repeat("A", 43), "wx134c8103faa5a59e")
	f.Fuzz(func(t *testing.T, encrypt, sig string) {
		msg, _, err := c.Decrypt(encrypt)
		if err == nil {
			// Anything that decrypts must re-encrypt to something that decrypts to the same.
			again, err := c.Encrypt(strings.NewReader("0123456789abcdef"), msg)
			if err != nil {
				t.Fatal(err)
			}
			if back, _, err := c.Decrypt(again); err != nil || !bytes.Equal(back, msg) {
				t.Fatalf("round trip failed: %v", err)
			}
		} else {
			var e *wxcrypt.Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
		}
		_, _, _ = c.OpenPush(wxcrypt.PushQuery{Timestamp: "1", Nonce: "2", MsgSignature: sig}, []byte(encrypt))
	})
}
