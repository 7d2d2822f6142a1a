package wxcrypt

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Envelope is the outer XML of an encrypted push: <xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>.
// Pushes to the authorization-event URL carry AppId; message pushes carry ToUserName instead.
type Envelope struct {
	AppID      string
	ToUserName string
	Encrypt    string
}

// ParseEnvelope extracts the fields of an outer push body, whatever its whitespace.
// It is a small scanner rather than encoding/xml because it runs on every push, forged ones
// included, and the layout is fixed and flat.
func ParseEnvelope(body []byte) (Envelope, error) {
	trimmed := bytes.TrimSpace(body)
	if !bytes.HasPrefix(trimmed, []byte("<xml>")) || !bytes.HasSuffix(trimmed, []byte("</xml>")) {
		return Envelope{}, newError(CodeParseXML, "body does not start with <xml> and end with </xml>")
	}
	var texts [3][]byte
	var seen [3]bool // the first of each wins, as with ElementText
	Elements(trimmed, func(name, text []byte) {
		i := -1
		switch string(name) {
		case "Encrypt":
			i = 0
		case "AppId":
			i = 1
		case "ToUserName":
			i = 2
		}
		if i >= 0 && !seen[i] {
			seen[i], texts[i] = true, text
		}
	})
	// AppId and ToUserName share one copy, the Encrypt value has its own: the ids outlive the
	// push (events, logs of rejected pushes) and must not keep up to 64 KiB of ciphertext alive.
	if len(texts[0]) == 0 {
		return Envelope{}, newError(CodeParseXML, "no <Encrypt> element")
	}
	env := Envelope{Encrypt: string(texts[0])}
	CopyTexts([]*string{&env.AppID, &env.ToUserName}, texts[1:])
	return env, nil
}

// ElementText returns the text of the first <name>…</name> in a flat WeChat XML document,
// with a CDATA wrapper removed and surrounding whitespace trimmed.
func ElementText(doc []byte, name string) (string, bool) {
	open := "<" + name + ">"
	i := bytes.Index(doc, []byte(open))
	if i < 0 {
		return "", false
	}
	rest := doc[i+len(open):]
	j := bytes.Index(rest, []byte("</"+name+">"))
	if j < 0 {
		return "", false
	}
	v := bytes.TrimSpace(rest[:j])
	if bytes.HasPrefix(v, []byte("<![CDATA[")) && bytes.HasSuffix(v, []byte("]]>")) {
		return string(v[len("<![CDATA[") : len(v)-len("]]>")]), true
	}
	return string(v), true
}

// PushQuery holds the query parameters WeChat sends with an encrypted push.
type PushQuery struct {
	Signature    string
	Timestamp    string
	Nonce        string
	EncryptType  string
	MsgSignature string
}

// ParsePushQuery reads the push parameters from a request's query.
func ParsePushQuery(q url.Values) PushQuery {
	return PushQuery{
		Signature:    q.Get("signature"),
		Timestamp:    q.Get("timestamp"),
		Nonce:        q.Get("nonce"),
		EncryptType:  q.Get("encrypt_type"),
		MsgSignature: q.Get("msg_signature"),
	}
}

// Encode renders the query in the order WeChat uses (signature, timestamp, nonce,
// encrypt_type, msg_signature), as seen in real push logs.
func (q PushQuery) Encode() string {
	return fmt.Sprintf("signature=%s&timestamp=%s&nonce=%s&encrypt_type=%s&msg_signature=%s",
		url.QueryEscape(q.Signature), url.QueryEscape(q.Timestamp), url.QueryEscape(q.Nonce),
		url.QueryEscape(q.EncryptType), url.QueryEscape(q.MsgSignature))
}

// OpenPush verifies msg_signature and decrypts an encrypted push body.
func (c *Crypter) OpenPush(q PushQuery, body []byte) (msg []byte, env Envelope, err error) {
	env, err = ParseEnvelope(body)
	if err != nil {
		return nil, env, err
	}
	msg, err = c.OpenEnvelope(q, env)
	return msg, env, err
}

// OpenEnvelope is OpenPush for an envelope already parsed (the listener parses it once, to
// route the push by AppId before any cryptography).
func (c *Crypter) OpenEnvelope(q PushQuery, env Envelope) ([]byte, error) {
	if q.MsgSignature == "" {
		return nil, newError(CodeValidateSignature, "msg_signature is missing from the query")
	}
	if err := c.VerifyMsgSignature(q.MsgSignature, q.Timestamp, q.Nonce, env.Encrypt); err != nil {
		return nil, err
	}
	msg, _, err := c.Decrypt(env.Encrypt)
	return msg, err
}

// Push is an encrypted push as WeChat sends it: the outer XML body and the query parameters.
type Push struct {
	Encrypt string
	Query   PushQuery
	Body    []byte
}

// SealPush encrypts msg and builds the push WeChat would POST to the authorization-event URL,
// with the outer layout of real captures (4-space indent, trailing newline).
func (c *Crypter) SealPush(random io.Reader, msg []byte, timestamp, nonce string) (Push, error) {
	enc, err := c.Encrypt(random, msg)
	if err != nil {
		return Push{}, err
	}
	var b strings.Builder
	b.WriteString("<xml>\n    <AppId><![CDATA[")
	b.WriteString(c.appid)
	b.WriteString("]]></AppId>\n    <Encrypt><![CDATA[")
	b.WriteString(enc)
	b.WriteString("]]></Encrypt>\n</xml>\n")
	return Push{
		Encrypt: enc,
		Query: PushQuery{
			Signature:    c.Signature(timestamp, nonce),
			Timestamp:    timestamp,
			Nonce:        nonce,
			EncryptType:  "aes",
			MsgSignature: c.MsgSignature(timestamp, nonce, enc),
		},
		Body: []byte(b.String()),
	}, nil
}
