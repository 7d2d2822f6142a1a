package wxcrypt

import (
	"fmt"
	"io"
	"strings"
)

// SealReply encrypts a passive reply (the plaintext reply XML) and wraps it in the envelope
// WeChat expects from a message URL; its MsgSignature covers the reply's own timestamp and nonce.
func (c *Crypter) SealReply(random io.Reader, msg []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(random, msg)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "<xml>\n<Encrypt><![CDATA[%s]]></Encrypt>\n<MsgSignature><![CDATA[%s]]></MsgSignature>\n<TimeStamp>%s</TimeStamp>\n<Nonce><![CDATA[%s]]></Nonce>\n</xml>",
		enc, c.MsgSignature(timestamp, nonce, enc), timestamp, nonce), nil
}

// OpenReply verifies and decrypts a passive reply built by SealReply (the simulator's side).
func (c *Crypter) OpenReply(body []byte) ([]byte, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	sig, _ := ElementText(body, "MsgSignature")
	ts, _ := ElementText(body, "TimeStamp")
	nonce, _ := ElementText(body, "Nonce")
	if err := c.VerifyMsgSignature(sig, ts, nonce, env.Encrypt); err != nil {
		return nil, err
	}
	msg, _, err := c.Decrypt(env.Encrypt)
	return msg, err
}

// SealMessage builds the message push WeChat POSTs to a message URL: the outer XML carries
// ToUserName (the account's gh_ id) instead of AppId.
func (c *Crypter) SealMessage(random io.Reader, toUserName string, msg []byte, timestamp, nonce string) (Push, error) {
	enc, err := c.Encrypt(random, msg)
	if err != nil {
		return Push{}, err
	}
	var b strings.Builder
	b.WriteString("<xml>\n    <ToUserName><![CDATA[")
	b.WriteString(toUserName)
	b.WriteString("]]></ToUserName>\n    <Encrypt><![CDATA[")
	b.WriteString(enc)
	b.WriteString("]]></Encrypt>\n</xml>\n")
	return Push{
		Encrypt: enc,
		Query: PushQuery{Signature: c.Signature(timestamp, nonce), Timestamp: timestamp, Nonce: nonce,
			EncryptType: "aes", MsgSignature: c.MsgSignature(timestamp, nonce, enc)},
		Body: []byte(b.String()),
	}, nil
}
