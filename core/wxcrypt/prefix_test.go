package wxcrypt_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"regexp"
	"strings"
	"testing"

	"wxauth/core/wxcrypt"
)

var hexPrefixRe = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestEncryptPrefixIsHexText: raw random bytes (crypto/rand, as `wxauth push encrypt` uses
// without --random) come out as 16 lowercase hex characters like WeChat's, while a prefix
// given as text (test vectors, --random) is kept byte for byte.
func TestEncryptPrefixIsHexText(t *testing.T) {
	v1 := loadVectors(t)[2]
	c := mustNew(t, v1.Token, v1.AESKey, v1.AppID)
	key, _ := wxcrypt.DecodeAESKey(v1.AESKey)
	prefixOf := func(src io.Reader) string {
		t.Helper()
		enc, err := c.Encrypt(src, []byte(v1.Msg))
		if err != nil {
			t.Fatal(err)
		}
		if msg, _, err := c.Decrypt(enc); err != nil || string(msg) != v1.Msg {
			t.Fatalf("round trip: %q, %v", msg, err)
		}
		return string(rawPlain(key, enc)[:16])
	}
	for i := 0; i < 50; i++ {
		if p := prefixOf(rand.Reader); !hexPrefixRe.MatchString(p) {
			t.Fatalf("crypto/rand prefix %q is not 16 lowercase hex characters", p)
		}
	}
	// Bytes that are not text, zeros or high bytes, are rendered as hex of the first 8.
	raw := append(bytes.Repeat([]byte{0}, 7), 0xff, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x')
	if p := prefixOf(bytes.NewReader(raw)); p != "00000000000000ff" {
		t.Errorf("raw prefix = %q, want 00000000000000ff", p)
	}
	for _, text := range []string{v1.Random, "aUQJgcQbuV0jfZwJ"} {
		if p := prefixOf(strings.NewReader(text)); p != text {
			t.Errorf("text prefix %q came out as %q", text, p)
		}
	}
	if _, err := c.Encrypt(strings.NewReader("short"), nil); err == nil {
		t.Error("a random source shorter than 16 bytes was accepted")
	}
}
