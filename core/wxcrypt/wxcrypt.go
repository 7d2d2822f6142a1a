// Package wxcrypt implements WeChat's WXBizMsgCrypt exactly: msg_signature, AES-256-CBC with
// IV = key[:16], PKCS#7 padding to a block size of 32 (not 16) and the trailing appid check.
//
// Reference: shared/reference/wechat-component-api.md §4.
package wxcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
)

// blockSize is the PKCS#7 block size WeChat uses: the key length, 32 bytes.
// A generic unpad that rejects pad > 16 fails on about half of real ciphertexts.
const blockSize = 32

// Crypter encrypts, decrypts and signs messages for one Token / EncodingAESKey / appid.
// It is safe for concurrent use.
type Crypter struct {
	token string
	appid string
	key   []byte
	block cipher.Block
}

// New builds a Crypter. appid is the receive id checked after decryption (the component
// appid for component pushes); an empty appid skips the check.
func New(token, encodingAESKey, appid string) (*Crypter, error) {
	key, err := DecodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, newError(CodeIllegalAESKey, "%v", err)
	}
	return &Crypter{token: token, appid: appid, key: key, block: block}, nil
}

// DecodeAESKey turns a 43-character EncodingAESKey into the 32-byte AES key.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, newError(CodeIllegalAESKey, "got %d characters", len(encodingAESKey))
	}
	for i := 0; i < len(encodingAESKey); i++ {
		c := encodingAESKey[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return nil, newError(CodeIllegalAESKey, "character %d (%q) is not a letter or digit", i+1, c)
		}
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, newError(CodeIllegalAESKey, "does not decode to 32 bytes")
	}
	return key, nil
}

// AppID is the receive id this Crypter checks ("" when it does not check).
func (c *Crypter) AppID() string { return c.appid }

// Sign returns hex(sha1(concat(sort(parts)))), the scheme of both signature and msg_signature.
func Sign(parts ...string) string {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	h := sha1.New()
	for _, p := range sorted {
		io.WriteString(h, p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MsgSignature is sha1 of the sorted token, timestamp, nonce and Encrypt value.
func (c *Crypter) MsgSignature(timestamp, nonce, encrypt string) string {
	return Sign(c.token, timestamp, nonce, encrypt)
}

// Signature is the plain signature: sha1 of the sorted token, timestamp and nonce.
// WeChat sends it too, but pushes must be verified with msg_signature.
func (c *Crypter) Signature(timestamp, nonce string) string {
	return Sign(c.token, timestamp, nonce)
}

// VerifyMsgSignature checks msg_signature in constant time.
func (c *Crypter) VerifyMsgSignature(msgSignature, timestamp, nonce, encrypt string) error {
	if !equal(msgSignature, c.MsgSignature(timestamp, nonce, encrypt)) {
		if equal(msgSignature, c.Signature(timestamp, nonce)) {
			return newError(CodeValidateSignature, "the value given is the plain `signature`, not `msg_signature`")
		}
		return newError(CodeValidateSignature, "msg_signature does not match")
	}
	return nil
}

// VerifySignature checks the plain signature in constant time.
func (c *Crypter) VerifySignature(signature, timestamp, nonce string) error {
	if !equal(signature, c.Signature(timestamp, nonce)) {
		return newError(CodeValidateSignature, "signature does not match")
	}
	return nil
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Decrypt opens an Encrypt value. It returns the message and the appid found after it; when the
// Crypter has an appid, a different one is an error (-40005).
func (c *Crypter) Decrypt(encrypt string) (msg []byte, appid string, err error) {
	ct := make([]byte, base64.StdEncoding.DecodedLen(len(encrypt)))
	n, err := base64.StdEncoding.Decode(ct, []byte(encrypt))
	if err != nil {
		return nil, "", newError(CodeDecodeBase64, "%v", err)
	}
	ct = ct[:n]
	if len(ct) == 0 || len(ct)%blockSize != 0 {
		return nil, "", newError(CodeDecryptAES, "ciphertext is %d bytes, not a positive multiple of %d", len(ct), blockSize)
	}
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(ct, ct)

	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > blockSize {
		return nil, "", newError(CodeDecryptAES, "padding byte %d is outside 1..%d", pad, blockSize)
	}
	for _, b := range ct[len(ct)-pad:] {
		if int(b) != pad {
			return nil, "", newError(CodeDecryptAES, "padding bytes are inconsistent")
		}
	}
	plain := ct[:len(ct)-pad]
	if len(plain) < 20 {
		return nil, "", newError(CodeIllegalBuffer, "decrypted buffer is %d bytes, shorter than random(16)+length(4)", len(plain))
	}
	msgLen := binary.BigEndian.Uint32(plain[16:20])
	if uint64(msgLen) > uint64(len(plain)-20) {
		return nil, "", newError(CodeIllegalBuffer, "length field says %d bytes but only %d follow", msgLen, len(plain)-20)
	}
	msg = plain[20 : 20+msgLen]
	appid = string(plain[20+msgLen:])
	if c.appid != "" && appid != c.appid {
		return nil, appid, newError(CodeValidateAppID, "decrypted appid %q, expected %q", appid, c.appid)
	}
	return msg, appid, nil
}

// Encrypt seals msg for the Crypter's appid. random supplies the 16-byte prefix: 16 bytes of
// printable ASCII (a fixed test vector, `--random`) are used as they are; anything else, such
// as crypto/rand.Reader, is turned into 16 lowercase hex characters (see randomPrefix).
func (c *Crypter) Encrypt(random io.Reader, msg []byte) (string, error) {
	full := make([]byte, 20, 20+len(msg)+len(c.appid)+blockSize)
	if err := randomPrefix(random, full[:16]); err != nil {
		return "", err
	}
	binary.BigEndian.PutUint32(full[16:20], uint32(len(msg)))
	full = append(full, msg...)
	full = append(full, c.appid...)
	pad := blockSize - len(full)%blockSize
	full = append(full, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(full, full)
	return base64.StdEncoding.EncodeToString(full), nil
}

// randomPrefix fills dst (16 bytes) from random. WeChat's prefix is ASCII text, 16 lowercase
// hex characters (`1205899eaf019bbd` in the official vector), and a receiver that reads the
// plaintext as text would choke on raw binary. So 16 printable ASCII bytes are kept (official
// samples use alphanumerics), and raw bytes are rendered as hex, 8 bytes giving 16 digits.
// It always reads 16 bytes, so a deterministic source stays in step whatever it yields.
func randomPrefix(random io.Reader, dst []byte) error {
	var raw [16]byte
	if _, err := io.ReadFull(random, raw[:]); err != nil {
		return newError(CodeEncryptAES, "reading 16 random bytes: %v", err)
	}
	for _, b := range raw {
		if b <= ' ' || b >= 0x7f {
			hex.Encode(dst, raw[:8])
			return nil
		}
	}
	copy(dst, raw[:])
	return nil
}

// String never shows the key or token.
func (c *Crypter) String() string { return fmt.Sprintf("wxcrypt.Crypter{appid: %q}", c.appid) }
