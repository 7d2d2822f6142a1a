package wxcrypt

import "fmt"

// Official WXBizMsgCrypt error codes (identical in the C++, Python and Java samples).
const (
	CodeValidateSignature = -40001
	CodeParseXML          = -40002
	CodeComputeSignature  = -40003
	CodeIllegalAESKey     = -40004
	CodeValidateAppID     = -40005
	CodeEncryptAES        = -40006
	CodeDecryptAES        = -40007
	CodeIllegalBuffer     = -40008
	CodeEncodeBase64      = -40009
	CodeDecodeBase64      = -40010
	CodeGenReturnXML      = -40011
)

type codeInfo struct {
	name  string
	cause string // the likely cause, in plain language
}

var catalogue = map[int]codeInfo{
	CodeValidateSignature: {"ValidateSignature_Error",
		"the Token configured here differs from the one on the open platform, or `signature` was used instead of `msg_signature` (verify msg_signature, computed over the Encrypt value)"},
	CodeParseXML: {"ParseXml_Error",
		"the body is not a push envelope (<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>); check that no proxy or framework middleware rewrote or consumed the request body"},
	CodeComputeSignature: {"ComputeSignature_Error",
		"computing the SHA-1 signature failed"},
	CodeIllegalAESKey: {"IllegalAesKey",
		"the EncodingAESKey must be exactly 43 characters of [A-Za-z0-9]; copy it again from the platform's 开发资料 page"},
	CodeValidateAppID: {"ValidateAppid_Error",
		"the message was encrypted for another appid: the push belongs to another platform, or the component appid configured here is wrong"},
	CodeEncryptAES: {"EncryptAES_Error",
		"AES encryption failed"},
	CodeDecryptAES: {"DecryptAES_Error",
		"the ciphertext does not decrypt with this key (bad length or padding): the EncodingAESKey configured here differs from the one on the open platform, or the Encrypt value was truncated"},
	CodeIllegalBuffer: {"IllegalBuffer",
		"the decrypted buffer is malformed (its length field points outside it): the EncodingAESKey is most likely wrong"},
	CodeEncodeBase64: {"EncodeBase64_Error",
		"base64 encoding failed"},
	CodeDecodeBase64: {"DecodeBase64_Error",
		"Encrypt is not valid base64: it was truncated or altered on the way (a '+' turned into a space by URL decoding is a classic)"},
	CodeGenReturnXML: {"GenReturnXml_Error",
		"building the reply XML failed"},
}

// Error is a crypto failure with its official WXBizMsgCrypt code.
type Error struct {
	Code   int
	Detail string // what exactly was wrong with this input, if known
}

// Name is the official name of the code, e.g. "ValidateSignature_Error".
func (e *Error) Name() string { return catalogue[e.Code].name }

// Cause explains in plain language what usually causes the code.
func (e *Error) Cause() string { return catalogue[e.Code].cause }

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Code, e.Name(), e.Cause())
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func newError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}
