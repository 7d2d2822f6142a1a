package wxcrypt_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"wxauth/core/wxcrypt"
)

// The tests in this file pin the allocation-free paths (stack buffers, hand-written CBC,
// one copy per document) to the plain definitions they replace.

func TestSignMatchesDefinition(t *testing.T) {
	all := []string{"AAAAA", "1715943329", "1590219412", "enc+/=", "", "zz", "Token"}
	for n := 0; n <= len(all); n++ {
		parts := all[:n]
		sorted := append([]string(nil), parts...)
		sort.Strings(sorted)
		sum := sha1.Sum([]byte(strings.Join(sorted, "")))
		if got, want := wxcrypt.Sign(parts...), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("Sign of %d parts = %s, want %s", n, got, want)
		}
		if strings.Join(parts, "") != strings.Join(all[:n], "") {
			t.Fatalf("Sign reordered its caller's slice")
		}
	}
	long := strings.Repeat("x", 5000) // beyond the stack buffer
	sum := sha1.Sum([]byte("a" + long))
	if got := wxcrypt.Sign(long, "a"); got != hex.EncodeToString(sum[:]) {
		t.Errorf("Sign of a long part = %s", got)
	}
}

// TestVerifyRejectsNearMisses: only the exact lowercase hex digest passes; every one-digit
// change, a different length or the same digest in uppercase is -40001.
func TestVerifyRejectsNearMisses(t *testing.T) {
	v1 := loadVectors(t)[2]
	c := mustNew(t, v1.Token, v1.AESKey, v1.AppID)
	if err := c.VerifyMsgSignature(v1.MsgSignature, v1.Timestamp, v1.Nonce, v1.Encrypt); err != nil {
		t.Fatalf("genuine signature: %v", err)
	}
	bad := []string{strings.ToUpper(v1.MsgSignature), v1.MsgSignature[:39], v1.MsgSignature + "0", "", v1.MsgSignature + v1.MsgSignature}
	for i := range v1.MsgSignature {
		b := []byte(v1.MsgSignature)
		b[i] ^= 1
		bad = append(bad, string(b))
	}
	for _, sig := range bad {
		err := c.VerifyMsgSignature(sig, v1.Timestamp, v1.Nonce, v1.Encrypt)
		var e *wxcrypt.Error
		if !errors.As(err, &e) || e.Code != wxcrypt.CodeValidateSignature {
			t.Errorf("signature %q: err = %v, want -40001", sig, err)
		}
	}
	if err := c.VerifySignature(strings.ToUpper(v1.Signature), v1.Timestamp, v1.Nonce); err == nil {
		t.Error("VerifySignature accepted an uppercase signature")
	}
}

// rawBlocks encrypts whole blocks as they are (no padding added) the WeChat way.
func rawBlocks(key, plain []byte) string {
	buf := append([]byte(nil), plain...)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}

// TestStrictPadding: every padding byte is checked, not only the last one.
func TestStrictPadding(t *testing.T) {
	v1 := loadVectors(t)[2]
	c := mustNew(t, v1.Token, v1.AESKey, v1.AppID)
	key, _ := wxcrypt.DecodeAESKey(v1.AESKey)
	frame := append(make([]byte, 16), 0, 0, 0, 2, 'h', 'i')
	frame = append(frame, v1.AppID...)
	for _, pad := range []int{1, 2, 7, 16, 31, 32} {
		body := append([]byte(nil), frame...)
		for (len(body)+pad)%32 != 0 {
			body = append(body, 'x') // lengthens the appid: still a valid frame for the check below
		}
		good := append(body, bytes.Repeat([]byte{byte(pad)}, pad)...)
		// Trailing x's make the appid wrong: -40005 (or success) proves the padding passed.
		var e *wxcrypt.Error
		if _, _, err := c.Decrypt(rawBlocks(key, good)); err != nil && (!errors.As(err, &e) || e.Code != wxcrypt.CodeValidateAppID) {
			t.Fatalf("pad %d: %v, want a valid padding", pad, err)
		}
		for i := len(body); i < len(good)-1; i++ {
			bad := append([]byte(nil), good...)
			bad[i] ^= 0x40
			_, _, err := c.Decrypt(rawBlocks(key, bad))
			if !errors.As(err, &e) || e.Code != wxcrypt.CodeDecryptAES {
				t.Errorf("pad %d, byte %d altered: err = %v, want -40007", pad, i, err)
			}
		}
	}
}

// TestDecryptLongAndUnchecked: messages far beyond the stack buffers decrypt the same, and a
// Crypter without appid reports the one it found.
func TestDecryptLongAndUnchecked(t *testing.T) {
	c := mustNew(t, "tok", strings.Repeat("k", 43), "wx0123456789abcdef")
	open := mustNew(t, "tok", strings.Repeat("k", 43), "")
	for _, n := range []int{0, 700, 767, 768, 769, 1024, 5000, 70000} {
		msg := bytes.Repeat([]byte("<m/>"), n)[:n]
		enc, err := c.Encrypt(strings.NewReader("0123456789abcdef"), msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range []*wxcrypt.Crypter{c, open} {
			got, appid, err := cr.Decrypt(enc)
			if err != nil || !bytes.Equal(got, msg) || appid != "wx0123456789abcdef" {
				t.Fatalf("len %d, crypter %v: %d bytes, appid %q, %v", n, cr, len(got), appid, err)
			}
		}
		q := wxcrypt.PushQuery{Timestamp: "1", Nonce: "2", MsgSignature: c.MsgSignature("1", "2", enc)}
		got, err := c.OpenEnvelope(q, wxcrypt.Envelope{Encrypt: enc})
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("len %d: OpenEnvelope: %v", n, err)
		}
	}
}

func TestCopyTexts(t *testing.T) {
	var a, b, c, d string
	wxcrypt.CopyTexts([]*string{&a, &b, &c, &d}, [][]byte{[]byte("one"), nil, []byte("three"), []byte("")})
	if a != "one" || b != "" || c != "three" || d != "" {
		t.Errorf("CopyTexts = %q %q %q %q", a, b, c, d)
	}
	src := []byte("mutable")
	wxcrypt.CopyTexts([]*string{&a}, [][]byte{src})
	src[0] = 'X'
	if a != "mutable" {
		t.Errorf("CopyTexts aliases its source: %q", a)
	}
}

// parseEnvelopeReference is ParseEnvelope as it was before it shared one copy among the fields.
func parseEnvelopeReference(body []byte) (wxcrypt.Envelope, bool) {
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("<xml>")) || !bytes.HasSuffix(trimmed, []byte("</xml>")) {
		return wxcrypt.Envelope{}, false
	}
	var env wxcrypt.Envelope
	var seen [3]bool
	wxcrypt.Elements(trimmed, func(name, text []byte) {
		switch {
		case !seen[0] && string(name) == "Encrypt":
			seen[0], env.Encrypt = true, string(text)
		case !seen[1] && string(name) == "AppId":
			seen[1], env.AppID = true, string(text)
		case !seen[2] && string(name) == "ToUserName":
			seen[2], env.ToUserName = true, string(text)
		}
	})
	if env.Encrypt == "" {
		return wxcrypt.Envelope{}, false
	}
	return env, true
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte("<xml><AppId><![CDATA[wxa]]></AppId><Encrypt><![CDATA[abc]]></Encrypt></xml>"))
	f.Add([]byte("<xml><Encrypt>1</Encrypt><Encrypt>2</Encrypt><AppId></AppId><ToUserName> gh </ToUserName></xml>"))
	f.Add([]byte(" <xml><Encrypt><![CDATA[</Encrypt>]]></Encrypt></xml>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := append([]byte(nil), body...)
		got, err := wxcrypt.ParseEnvelope(body)
		want, ok := parseEnvelopeReference(body)
		if (err == nil) != ok || got != want {
			t.Fatalf("ParseEnvelope = %+v, %v; reference %+v, %v", got, err, want, ok)
		}
		if !bytes.Equal(body, orig) {
			t.Fatal("ParseEnvelope changed its input")
		}
	})
}

// TestEnvelopeIDsDoNotPinCiphertext: the AppId a rejected push leaves in events and logs must
// not share memory with its Encrypt value (up to 64 KiB of an attacker's body).
func TestEnvelopeIDsDoNotPinCiphertext(t *testing.T) {
	body := []byte("<xml><Encrypt>" + strings.Repeat("A", 60000) + "</Encrypt><AppId>wxa</AppId><ToUserName>gh</ToUserName></xml>")
	env, err := wxcrypt.ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	enc := uintptr(unsafe.Pointer(unsafe.StringData(env.Encrypt)))
	for _, id := range []string{env.AppID, env.ToUserName} {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(id))); p >= enc && p < enc+uintptr(len(env.Encrypt))+64 {
			t.Errorf("%q shares the Encrypt value's memory", id)
		}
	}
}
