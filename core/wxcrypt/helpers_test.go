package wxcrypt_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
)

// rawCBC pads plain to a multiple of 32 with PKCS#7 and encrypts it the WeChat way, without
// adding the random/length/appid framing, so tests can build malformed plaintexts.
func rawCBC(key, plain []byte) string {
	pad := 32 - len(plain)%32
	buf := append([]byte(nil), plain...)
	for i := 0; i < pad; i++ {
		buf = append(buf, byte(pad))
	}
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf)
}

// rawPlain decrypts an Encrypt value and returns the whole plaintext, framing and padding
// included, so tests can look at the random prefix that Decrypt drops.
func rawPlain(key []byte, encrypt string) []byte {
	buf, _ := base64.StdEncoding.DecodeString(encrypt)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(buf, buf)
	return buf
}
