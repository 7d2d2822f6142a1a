// Package wxcrypt implements WeChat's WXBizMsgCrypt exactly: msg_signature, AES-256-CBC with
// IV = key[:16], PKCS#7 padding to a block size of 32 (not 16) and the trailing appid check.
//
// Reference: shared/reference/wechat-component-api.md §4.
package wxcrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
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

// Decrypt opens an Encrypt value. It returns the message and the appid found after it; when the
// Crypter has an appid, a different one is an error (-40005).
func (c *Crypter) Decrypt(encrypt string) (msg []byte, appid string, err error) {
	msg, found, err := c.decrypt(encrypt)
	switch {
	case err != nil:
		return nil, "", err
	case c.appid == "":
		return msg, string(found), nil
	case string(found) != c.appid:
		return nil, string(found), newError(CodeValidateAppID, "decrypted appid %q, expected %q", found, c.appid)
	}
	return msg, c.appid, nil // the same bytes: no copy
}

// decrypt is Decrypt without the appid check: msg and appid alias one new buffer, the only
// heap allocation of the path for the usual sizes (the message is the caller's to keep).
func (c *Crypter) decrypt(encrypt string) (msg, appid []byte, err error) {
	// encoding/base64 reads a []byte: the string is copied to the stack rather than the heap.
	// Longer values spill to the heap, still correct.
	var stack [1024]byte
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(encrypt)))
	n, err := base64.StdEncoding.Decode(buf, append(stack[:0], encrypt...))
	if err != nil {
		return nil, nil, newError(CodeDecodeBase64, "%v", err)
	}
	buf = buf[:n]
	if len(buf) == 0 || len(buf)%blockSize != 0 {
		return nil, nil, newError(CodeDecryptAES, "ciphertext is %d bytes, not a positive multiple of %d", len(buf), blockSize)
	}
	c.decryptCBC(buf, stack[:0])
	plain, err := unpad(buf)
	if err != nil {
		return nil, nil, err
	}
	if len(plain) < 20 {
		return nil, nil, newError(CodeIllegalBuffer, "decrypted buffer is %d bytes, shorter than random(16)+length(4)", len(plain))
	}
	msgLen := binary.BigEndian.Uint32(plain[16:20])
	if uint64(msgLen) > uint64(len(plain)-20) {
		return nil, nil, newError(CodeIllegalBuffer, "length field says %d bytes but only %d follow", msgLen, len(plain)-20)
	}
	return plain[20 : 20+msgLen], plain[20+msgLen:], nil
}

// decryptCBC decrypts buf (whole AES blocks) in place, in CBC mode with IV = key[:16]: every
// block through the cipher first, then one XOR with the ciphertext shifted by a block, which
// it keeps in scratch (grown if too small). The block decryptions do not depend on each other,
// so the CPU overlaps them; and unlike cipher.NewCBCDecrypter it does not copy the expanded
// key (~500 bytes) to the heap on every call.
func (c *Crypter) decryptCBC(buf, scratch []byte) {
	ct := append(scratch, buf[:len(buf)-aes.BlockSize]...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		b := buf[i : i+aes.BlockSize]
		c.block.Decrypt(b, b)
	}
	subtle.XORBytes(buf[:aes.BlockSize], buf[:aes.BlockSize], c.key[:aes.BlockSize])
	subtle.XORBytes(buf[aes.BlockSize:], buf[aes.BlockSize:], ct)
}

// unpad strips WeChat's PKCS#7 padding (block size 32). Every padding byte is checked, without
// an early exit.
func unpad(ct []byte) ([]byte, error) {
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > blockSize {
		return nil, newError(CodeDecryptAES, "padding byte %d is outside 1..%d", pad, blockSize)
	}
	ok := 1
	for _, b := range ct[len(ct)-pad:] {
		ok &= subtle.ConstantTimeByteEq(b, byte(pad))
	}
	if ok != 1 {
		return nil, newError(CodeDecryptAES, "padding bytes are inconsistent")
	}
	return ct[:len(ct)-pad], nil
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
