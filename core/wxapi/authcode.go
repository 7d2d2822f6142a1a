package wxapi

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"wxauth/core/wxcrypt"
)

// Prefixes of WeChat's credential values (reference §0).
const (
	AuthCodePrefix     = "queryauthcode@@@"
	PreAuthCodePrefix  = "preauthcode@@@"
	TicketPrefix       = "ticket@@@"
	RefreshTokenPrefix = "refreshtoken@@@"
)

// minCodeTail is the shortest random part accepted after the prefix. Real codes have 86
// characters; anything much shorter is a partial paste.
const minCodeTail = 8

// Errors of ParseAuthCode, wrapped with details; test with errors.Is.
var (
	ErrEmptyInput  = errors.New("nothing was pasted")
	ErrNoAuthCode  = errors.New("this URL has no auth_code: did you copy the launch page URL instead of the address after approving?")
	ErrPreAuthCode = errors.New("this is a pre_auth_code, not an authorization code")
	ErrNotAuthCode = errors.New("this is not an authorization code")
)

// AuthCode is an authorization code captured from a redirect, a push or a paste.
type AuthCode struct {
	Code      string // the whole value, queryauthcode@@@…, as api_query_auth expects it
	ExpiresIn int    // seconds, from the redirect's expires_in; 0 when unknown
}

// ParseAuthCode finds the authorization code in whatever a user pastes:
//
//   - the address the browser reached after approving: https://host/cb?auth_code=…&expires_in=3600
//   - hash-router forms: the query before the fragment (https://host/?auth_code=…#/, what WeChat
//     produces for a redirect_uri with a fragment) or inside it (https://host/#/cb?auth_code=…)
//   - a redirect_uri that already had a query, whether WeChat appended with & or with a second ?
//   - a bare query string, with or without the leading ?
//   - a bare code, queryauthcode@@@…, or its URL-encoded form queryauthcode%40%40%40…
//   - a whole URL that was itself URL-encoded (copied from a log or another URL's parameter)
//   - the decrypted authorized push, <AuthorizationCode>…</AuthorizationCode>
//
// Surrounding quotes, angle brackets and trailing punctuation are ignored, as are HTML (&amp;)
// and JSON (\u0026, \/) escapes. Whitespace anywhere is removed: real codes are
// queryauthcode@@@ followed by [A-Za-z0-9_-], so whitespace inside a paste can only be a line
// break a terminal or chat client inserted, never a '+' lost to form decoding. For the same
// reason a code with any other character ('+', '/', '=', …) is rejected rather than repaired.
//
// A bare value must carry the queryauthcode@@@ prefix; a value given explicitly as auth_code=
// is trusted without it, as long as its characters are plausible.
func ParseAuthCode(input string) (AuthCode, error) {
	if code, ok := wxcrypt.ElementText([]byte(input), "AuthorizationCode"); ok {
		c, err := checkCode(cleanPaste(code), true)
		return AuthCode{Code: c}, err
	}
	s := cleanPaste(input)
	if s == "" {
		return AuthCode{}, ErrEmptyInput
	}
	// Each round either finds the code or peels one layer of percent-encoding.
	for range 4 {
		if v, ok := paramValue(s, "auth_code"); ok {
			c, err := checkCode(v, false)
			if err != nil {
				return AuthCode{}, err
			}
			return AuthCode{Code: c, ExpiresIn: expiresIn(s)}, nil
		}
		if !strings.Contains(s, "%") {
			break
		}
		next, err := url.PathUnescape(s)
		if err != nil || next == s {
			break
		}
		s = next
	}
	if strings.ContainsAny(s, "?&=#/:") {
		if _, ok := paramValue(s, "pre_auth_code"); ok {
			return AuthCode{}, fmt.Errorf("%w (it carries a pre_auth_code: it is the authorization link itself)", ErrNoAuthCode)
		}
		return AuthCode{}, ErrNoAuthCode
	}
	c, err := checkCode(s, true)
	return AuthCode{Code: c}, err
}

// cleanPaste strips what surrounds a pasted value and undoes HTML and JSON escaping.
func cleanPaste(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.NewReplacer("&amp;", "&", `\u0026`, "&", `\/`, "/").Replace(s)
	for {
		t := strings.Trim(s, "\"'`<>()[]{}“”‘’「」")
		t = strings.TrimRight(t, ".,;:!。，；")
		if t == s {
			return s
		}
		s = t
	}
}

// paramValue returns the value of the first key=value in s, wherever it sits (query, fragment
// or a bare query string). A key only counts at the start of s or after ? & # / ;, so that
// pre_auth_code= does not match auth_code=. The value is percent-decoded without turning '+'
// into a space (codes never contain either, and the error should show what was pasted).
func paramValue(s, key string) (string, bool) {
	needle := key + "="
	for from := 0; ; {
		i := strings.Index(s[from:], needle)
		if i < 0 {
			return "", false
		}
		i += from
		if i == 0 || strings.ContainsRune("?&#/;", rune(s[i-1])) {
			v := s[i+len(needle):]
			if end := strings.IndexAny(v, "&#?\"'<>"); end >= 0 {
				v = v[:end]
			}
			if dec, err := url.PathUnescape(v); err == nil {
				v = dec
			}
			return v, true
		}
		from = i + len(needle)
	}
}

// expiresIn reads expires_in from s; 0 when it is missing or not a non-negative integer.
func expiresIn(s string) int {
	v, ok := paramValue(s, "expires_in")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// checkCode validates a candidate code. bare values (not labelled auth_code=) need the prefix.
func checkCode(v string, bare bool) (string, error) {
	switch {
	case v == "":
		return "", fmt.Errorf("%w: the auth_code value is empty", ErrNotAuthCode)
	case strings.HasPrefix(v, PreAuthCodePrefix):
		return "", fmt.Errorf("%w: it is what the authorization link carries, and api_query_auth rejects it with 61009 (%s); "+
			"paste the address the browser reached after approving (its auth_code starts with %s)",
			ErrPreAuthCode, Explain(61009).Name, AuthCodePrefix)
	case strings.HasPrefix(v, TicketPrefix):
		return "", fmt.Errorf("%w: it is a component_verify_ticket", ErrNotAuthCode)
	case strings.HasPrefix(v, RefreshTokenPrefix):
		return "", fmt.Errorf("%w: it is an authorizer refresh token", ErrNotAuthCode)
	}
	tail, prefixed := strings.CutPrefix(v, AuthCodePrefix)
	if !prefixed && bare {
		return "", fmt.Errorf("%w: codes start with %s; paste the whole address the browser reached after approving", ErrNotAuthCode, AuthCodePrefix)
	}
	if i := strings.IndexFunc(tail, func(r rune) bool { return !isCodeRune(r) }); i >= 0 {
		r := []rune(tail[i:])[0]
		return "", fmt.Errorf("%w: it contains %q, which real codes never have (only letters, digits, '-' and '_')", ErrNotAuthCode, r)
	}
	if len(tail) < minCodeTail {
		return "", fmt.Errorf("%w: only %d characters after the prefix, real codes have 86: was it cut off?", ErrNotAuthCode, len(tail))
	}
	return v, nil
}

func isCodeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
