package storage

// Secrets at rest: every credential column is sealed with AES-256-GCM under the operator's key
// (WXAUTH_KEY or --key-file). A sealed value describes itself,
//
//	wxs1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>
//
// so a value under another key is named as such instead of failing as garbage, and its
// associated data is the table and column it belongs to, so a sealed value moved to another
// column (an access token copied into appsecret) fails to open.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

const (
	sealPrefix = "wxs1:"
	keyIDLen   = 8 // hex digits
	nonceSize  = 12
)

// Errors of sealing, for errors.Is.
var (
	// ErrKeyRequired: the database holds sealed secrets and no key was given.
	ErrKeyRequired = errors.New("the database is sealed and no key was given")
	// ErrWrongKey: the key given is not the one the database is sealed under.
	ErrWrongKey = errors.New("the key is not the database's key")
	// ErrBadKey: a key that is not 32 bytes of base64.
	ErrBadKey = errors.New("not a wxauth key")
)

// Key is a 32-byte sealing key. Its String is its id, never its bytes, so a key that slips
// into a log or an error says which key it was and nothing more.
type Key struct {
	raw []byte
}

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return Key{}, fmt.Errorf("generating a key: %w", err)
	}
	return Key{raw: raw}, nil
}

// ParseKey reads a key in its text form: the base64 (standard or URL alphabet, padded or not)
// of 32 bytes, surrounding white space ignored.
func ParseKey(text string) (Key, error) {
	s := strings.TrimSpace(text)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeySize {
				return Key{}, fmt.Errorf("%w: it decodes to %d bytes, a key is %d (wxauth key generate makes one)", ErrBadKey, len(raw), KeySize)
			}
			return Key{raw: raw}, nil
		}
	}
	return Key{}, fmt.Errorf("%w: it is not base64 of %d bytes (wxauth key generate makes one)", ErrBadKey, KeySize)
}

// IsZero reports whether k is no key.
func (k Key) IsZero() bool { return len(k.raw) == 0 }

// Encode is the key's text form (standard base64), for `wxauth key generate` only.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k.raw) }

// ID names the key without revealing it: the first 4 bytes of HMAC-SHA256(key, "wxauth key id"),
// in hex. It is written into every value sealed under the key.
func (k Key) ID() string {
	if k.IsZero() {
		return ""
	}
	m := hmac.New(sha256.New, k.raw)
	m.Write([]byte("wxauth key id"))
	return hex.EncodeToString(m.Sum(nil))[:keyIDLen]
}

// String is the key's id, so that printing a Key never prints the key.
func (k Key) String() string { return "key " + k.ID() }

// GoString keeps %#v from printing the bytes too.
func (k Key) GoString() string { return k.String() }

// sealer seals and opens values under one key; a nil *sealer keeps values as they are.
type sealer struct {
	id   string
	aead cipher.AEAD
}

func newSealer(k Key) (*sealer, error) {
	if k.IsZero() {
		return nil, nil
	}
	block, err := aes.NewCipher(k.raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{id: k.ID(), aead: aead}, nil
}

// sealAD is the associated data of a value in table.column.
func sealAD(table, column string) []byte { return []byte("wxauth:" + table + "." + column) }

// isSealed reports whether v is a sealed value (of any key).
func isSealed(v string) bool { return strings.HasPrefix(v, sealPrefix) }

// sealedKeyID is the key id a sealed value names.
func sealedKeyID(v string) string {
	rest := strings.TrimPrefix(v, sealPrefix)
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		return rest[:i]
	}
	return ""
}

// seal seals v for table.column. The empty value stays empty: "no token" is not a secret, and
// the queries that keep a stored token when a new one is empty compare with the empty string.
func (s *sealer) seal(table, column, v string) string {
	if s == nil || v == "" {
		return v
	}
	nonce := make([]byte, nonceSize, nonceSize+len(v)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		// crypto/rand does not fail on the systems Go supports (it panics itself on Linux).
		panic(fmt.Sprintf("wxauth: no randomness for a nonce: %v", err))
	}
	out := s.aead.Seal(nonce, nonce, []byte(v), sealAD(table, column))
	return sealPrefix + s.id + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// open returns the plaintext of v, read from table.column. A value that is not sealed is
// returned as it is (a database being sealed, or never sealed).
func (s *sealer) open(table, column, v string) (string, error) {
	if !isSealed(v) {
		return v, nil
	}
	if s == nil {
		return "", &KeyError{Kind: ErrKeyRequired, DatabaseKeyID: sealedKeyID(v)}
	}
	if id := sealedKeyID(v); id != s.id {
		return "", &KeyError{Kind: ErrWrongKey, DatabaseKeyID: id, GivenKeyID: s.id}
	}
	raw, err := base64.RawStdEncoding.DecodeString(v[len(sealPrefix)+keyIDLen+1:])
	if err != nil || len(raw) < nonceSize+s.aead.Overhead() {
		return "", fmt.Errorf("%s.%s: a sealed value is damaged (%d bytes)", table, column, len(v))
	}
	plain, err := s.aead.Open(nil, raw[:nonceSize], raw[nonceSize:], sealAD(table, column))
	if err != nil {
		return "", fmt.Errorf("%s.%s: a sealed value does not open under key %s: it was altered or belongs to another column", table, column, s.id)
	}
	return string(plain), nil
}

// openAll opens each field in place (pointers to the scanned values).
func (s *sealer) openAll(table string, fields map[string]*string) error {
	for column, p := range fields {
		v, err := s.open(table, column, *p)
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}

// KeyError is a key missing or not matching the database's. It says which key ids are
// involved (never a key) and what to do.
type KeyError struct {
	Kind          error // ErrKeyRequired or ErrWrongKey
	DatabaseKeyID string
	GivenKeyID    string
}

func (e *KeyError) Error() string {
	if e.Kind == ErrKeyRequired {
		return fmt.Sprintf("the database's secrets are sealed (key %s) and no key was given; nothing was changed"+
			"\n  what to do: give the key it was sealed with: WXAUTH_KEY=<base64 key> in the environment, or --key-file PATH (a file only its owner can read)",
			e.DatabaseKeyID)
	}
	return fmt.Sprintf("the database's secrets are sealed under key %s, not under the key given (%s); nothing was changed"+
		"\n  what to do: give the database's key (WXAUTH_KEY or --key-file); after `wxauth key rotate`, every wxauth must be restarted with the new key",
		e.DatabaseKeyID, e.GivenKeyID)
}

// Is makes errors.Is(err, ErrKeyRequired) and ErrWrongKey work.
func (e *KeyError) Is(target error) bool { return target == e.Kind }
