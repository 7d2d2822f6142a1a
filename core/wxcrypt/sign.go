package wxcrypt

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"sort"
)

// sigSize is the length of a signature as WeChat sends it: hex of a SHA-1, lowercase.
const sigSize = 2 * sha1.Size

// Sign returns hex(sha1(concat(sort(parts)))), the scheme of both signature and msg_signature.
func Sign(parts ...string) string {
	var sig [sigSize]byte
	if len(parts) <= 4 {
		var p [4]string
		copy(p[:], parts)
		sign(&sig, p[:len(parts)])
	} else {
		sign(&sig, append([]string(nil), parts...))
	}
	return string(sig[:])
}

// sign writes the signature of parts into sig; it sorts parts in place. It allocates nothing
// for the usual sizes (a push's four parts fit the stack buffer): it runs on every push.
func sign(sig *[sigSize]byte, parts []string) {
	if len(parts) <= 4 {
		// Insertion sort: sort.Strings would move the parts to the heap.
		for i := 1; i < len(parts); i++ {
			for j := i; j > 0 && parts[j] < parts[j-1]; j-- {
				parts[j], parts[j-1] = parts[j-1], parts[j]
			}
		}
	} else {
		sort.Strings(parts)
	}
	var stack [1024]byte
	buf := stack[:0]
	for _, p := range parts {
		buf = append(buf, p...)
	}
	sum := sha1.Sum(buf)
	hex.Encode(sig[:], sum[:])
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
	var want [sigSize]byte
	sign(&want, []string{c.token, timestamp, nonce, encrypt})
	if !equalSig(msgSignature, &want) {
		sign(&want, []string{c.token, timestamp, nonce})
		if equalSig(msgSignature, &want) {
			return newError(CodeValidateSignature, "the value given is the plain `signature`, not `msg_signature`")
		}
		return newError(CodeValidateSignature, "msg_signature does not match")
	}
	return nil
}

// VerifySignature checks the plain signature in constant time.
func (c *Crypter) VerifySignature(signature, timestamp, nonce string) error {
	var want [sigSize]byte
	sign(&want, []string{c.token, timestamp, nonce})
	if !equalSig(signature, &want) {
		return newError(CodeValidateSignature, "signature does not match")
	}
	return nil
}

// equalSig compares a signature from a request with the expected one in constant time. The
// value is copied to the stack first: []byte(got) of 40 bytes would allocate on every push.
// Only the length (public: always 40) decides early.
func equalSig(got string, want *[sigSize]byte) bool {
	if len(got) != sigSize {
		return false
	}
	var g [sigSize]byte
	copy(g[:], got)
	return subtle.ConstantTimeCompare(g[:], want[:]) == 1
}
