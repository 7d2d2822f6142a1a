package wxapi

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DiagnosisURL is WeChat's official "API 报错诊断" tool: it looks a rid up (within 7 days) and
// shows the calling IP, the request and the response.
const DiagnosisURL = "https://developers.weixin.qq.com/console/devtools/debug?tab=errorDiag"

// Error is a non-zero errcode returned by WeChat (with HTTP 200, as WeChat always does).
type Error struct {
	API       string // API name, e.g. "api_authorizer_token"
	ErrCode   int
	ErrMsg    string // errmsg as WeChat sent it (rid suffix included)
	Rid       string // request id parsed from errmsg ("rid: …", or the older "hint: [XXXX]")
	RequestIP string // the caller IP WeChat saw, parsed from 61004 / 40164 messages
}

// Error renders "API: CODE MESSAGE (rid RID): MEANING. REMEDY".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", e.API, e.ErrCode)
	if msg := e.Message(); msg != "" {
		b.WriteString(" " + msg)
	}
	if e.Rid != "" {
		fmt.Fprintf(&b, " (rid %s)", e.Rid)
	}
	info := e.Info()
	fmt.Fprintf(&b, ": %s. %s", strings.TrimSuffix(info.Meaning, "."), info.Remedy)
	return b.String()
}

// Message is errmsg without its rid / hint suffix.
func (e *Error) Message() string { return stripRid(e.ErrMsg) }

// Info explains the code. For 61004 and 40164 the remedy names the IP to whitelist.
func (e *Error) Info() CodeInfo {
	info := Explain(e.ErrCode)
	if e.RequestIP != "" {
		info.Remedy = strings.ReplaceAll(info.Remedy, ipPlaceholder, e.RequestIP)
	} else {
		info.Remedy = strings.ReplaceAll(info.Remedy, ipPlaceholder, "the calling IP (see the rid in the API diagnosis tool)")
	}
	return info
}

// RidTime is the moment WeChat received the request: the first group of a rid is the Unix time
// in hex. ok is false for a missing or old-style (hint) rid. Rids can be looked up for 7 days.
func (e *Error) RidTime() (t time.Time, ok bool) {
	head, _, found := strings.Cut(e.Rid, "-")
	if !found || len(head) != 8 {
		return time.Time{}, false
	}
	sec, err := strconv.ParseUint(head, 16, 32)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(sec), 0).UTC(), true
}

// newError builds an *Error from an errcode/errmsg pair, parsing the rid and the request IP.
func newError(api string, code int, msg string) *Error {
	return &Error{API: api, ErrCode: code, ErrMsg: msg, Rid: parseRid(msg), RequestIP: parseRequestIP(msg)}
}

// The patterns are compiled on first use, not at init: every command (`wxauth token` too)
// would pay for them at start-up.
var (
	ridRe     = lazyRegexp(`\brid:\s*([0-9A-Za-z]+(?:-[0-9A-Za-z]+)*)`)
	hintRe    = lazyRegexp(`\bhints?:\s*\[([^\]]*)\]`)
	ridTailRe = lazyRegexp(`[\s,;]*\b(?:rid:\s*\S+|hints?:\s*\[[^\]]*\])\s*$`)
	// 61004: "access clientip is not registered requestIP: 1.2.3.4 rid: …"
	// 40164: "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: …"
	requestIPRe = lazyRegexp(`(?i)(?:requestIP:|invalid ip)\s*([0-9A-Fa-f:.]+)`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func parseRid(msg string) string {
	if m := ridRe().FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if m := hintRe().FindStringSubmatch(msg); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

func parseRequestIP(msg string) string {
	m := requestIPRe().FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	addr, err := netip.ParseAddr(strings.TrimRight(m[1], ".:"))
	if err != nil {
		return ""
	}
	return addr.Unmap().String()
}

func stripRid(msg string) string {
	return strings.TrimRight(ridTailRe().ReplaceAllString(msg, ""), " ,;")
}

// CodeInfo explains one errcode: what it means and what to do about it.
type CodeInfo struct {
	Code         int
	Name         string // WeChat's errmsg text for the code (or a short name when it is not known)
	Meaning      string
	Remedy       string
	Retryable    bool // the same call may succeed later (after a backoff)
	TokenInvalid bool // the token used is invalid or expired: refresh it once, then retry
	NeedsUser    bool // only a person can fix it (configuration, whitelist, quota, re-authorization)
	Pause        Pause
	Side         Side // the platform-wide condition the code reveals, shown beside the state
}

// Pause says how long a code stops background refreshing of the whole platform: every call
// would hit it again, so retrying only burns quota. Explicit requests still go through, so the
// user can check a fix at once.
type Pause int

// Pauses.
const (
	NoPause          Pause = iota
	PauseBriefly           // configuration or whitelist: 5 minutes, then try again
	PauseForQuotaDay       // the daily quota: until midnight China time
)

// Side is a platform-wide condition an errcode proves.
type Side int

// Sides.
const (
	NoSide          Side = iota
	SideIPRejected       // the calling IP is not whitelisted
	SideQuotaUsedUp      // a daily quota is used up
)

// Errcodes the engine branches on by name; the rest it handles by their class above.
const (
	CodeSystemError         = -1
	CodeInvalidCredential   = 40001
	CodeIPNotInWhitelist    = 40164
	CodeQuotaExhausted      = 45009
	CodeNotAuthorized       = 61003
	CodeIPNotRegistered     = 61004
	CodeAuthCodeInvalid     = 61009
	CodeAuthCodeExpired     = 61010
	CodeRefreshTokenInvalid = 61023
)

// ipPlaceholder is replaced by the request IP in Error.Info.
const ipPlaceholder = "{ip}"

// codes is the catalogue of reference §5. Meanings and remedies are written for the console:
// they say what went wrong in terms of this platform and what the user should do. Built on
// first use: a map literal is built at init, and every command would pay for it.
var codes = sync.OnceValue(func() map[int]CodeInfo {
	return map[int]CodeInfo{
		-1: {Name: "system error", Retryable: true,
			Meaning: "WeChat was busy or failed internally",
			Remedy:  "Retry with backoff; nothing is wrong with the request."},
		0: {Name: "ok",
			Meaning: "success",
			Remedy:  "Nothing to do."},
		40001: {Name: "invalid credential, access_token is invalid or not latest", TokenInvalid: true,
			Meaning: "the token is invalid or was superseded (another process fetched a new one more than 5 minutes ago), or the AppSecret is wrong",
			Remedy:  "Refresh the token once and retry; if it happens again, another process is refreshing the same credential: keep a single refresher per appid."},
		40013: {Name: "invalid appid", NeedsUser: true, Pause: PauseBriefly,
			Meaning: "the appid is malformed or wrong, or does not belong to the token used",
			Remedy:  "Check component_appid and authorizer_appid (authorizer appids may be swapped)."},
		40014: {Name: "invalid access_token", TokenInvalid: true,
			Meaning: "the access token is malformed (truncated, altered, or not an access token)",
			Remedy:  "Refresh the token and retry; check that nothing trims or re-encodes it on the way."},
		40125: {Name: "invalid appsecret", NeedsUser: true, Pause: PauseBriefly,
			Meaning: "the component_appsecret is wrong",
			Remedy:  "Copy the AppSecret again from the platform's 开发资料 page (reset it there if it is lost)."},
		40164: {Name: "invalid ip, not in whitelist", NeedsUser: true, Pause: PauseBriefly, Side: SideIPRejected,
			Meaning: "the calling IP is not in the API IP whitelist of the account that owns the token",
			Remedy:  "Add {ip} to that account's API IP whitelist (IP白名单), then retry."},
		41001: {Name: "access_token missing",
			Meaning: "no access token was sent in the query string",
			Remedy:  "This is a bug in the caller: fetch a token before calling."},
		41004: {Name: "appsecret missing", Pause: PauseBriefly,
			Meaning: "no AppSecret was sent",
			Remedy:  "Configure the platform's AppSecret."},
		42001: {Name: "access_token expired", TokenInvalid: true,
			Meaning: "the token is past its 2-hour lifetime",
			Remedy:  "Refresh the token and retry; refresh proactively before expires_in runs out."},
		45009: {Name: "reach max api daily quota limit", NeedsUser: true, Pause: PauseForQuotaDay, Side: SideQuotaUsedUp,
			Meaning: "the daily call quota of this API is used up (usually tokens fetched on every call instead of cached)",
			Remedy:  "Stop calling it today and reuse the cached tokens; if it is urgent, reset the quota with clear_quota/v2 (10 resets per month)."},
		47001: {Name: "data format error",
			Meaning: "the request body is not valid JSON or misses a field",
			Remedy:  "This is a bug in the caller: check the request body."},
		48001: {Name: "api unauthorized", NeedsUser: true,
			Meaning: "the API or its permission set is not granted to, or not available for, the account",
			Remedy:  "Ask the merchant to grant the permission set covering this API."},
		48006: {Name: "forbid to clear quota because of reaching the limit",
			Meaning: "the 10 quota resets of this month are used up",
			Remedy:  "Wait for next month, or for the daily quota to reset."},
		61003: {Name: "component is not authorized by this account", NeedsUser: true,
			Meaning: "the authorizer appid is not (or no longer) authorized to this third-party platform, or the appids are swapped",
			Remedy:  "Check the account in api_get_authorizer_list; if it is missing there, the merchant must authorize again."},
		61004: {Name: "access clientip is not registered", NeedsUser: true, Pause: PauseBriefly, Side: SideIPRejected,
			Meaning: "the calling IP is not in the third-party platform's IP whitelist; this covers component APIs and every call made with an authorizer token",
			Remedy:  "Add {ip} to this platform's whitelist (开放平台 → 第三方平台 → 开发资料 → 白名单IP地址列表); edits made via 编辑 take effect after 全网发布."},
		61005: {Name: "component ticket is expired", NeedsUser: true,
			Meaning: "the component_verify_ticket is older than 12 hours",
			Remedy:  "Use the latest pushed ticket; if pushes stopped, call api_start_push_ticket and check that the 授权事件接收URL replies exactly \"success\"."},
		61006: {Name: "component ticket is invalid", NeedsUser: true,
			Meaning: "the ticket is wrong, empty, or belongs to another third-party platform",
			Remedy:  "Use the latest ticket pushed to this platform's 授权事件接收URL; check that pushes decrypt with this platform's Token and EncodingAESKey."},
		61007: {Name: "api is unauthorized to component", NeedsUser: true,
			Meaning: "the merchant did not grant the permission set covering this API to the platform",
			Remedy:  "Ask the merchant to authorize again with that permission set."},
		61009: {Name: "code is invalid",
			Meaning: "the authorization code is wrong (for example a pre_auth_code passed by mistake, or another account's code)",
			Remedy:  "Use the auth_code from the address the browser reached after approving, or from the authorized push."},
		61010: {Name: "code is expired",
			Meaning: "the authorization code expired (3600 s) or was already used",
			Remedy:  "Ask the merchant to authorize again (or update the authorization) to get a new code."},
		61011: {Name: "invalid component", NeedsUser: true, Pause: PauseBriefly,
			Meaning: "the component_appid is wrong or is not a third-party platform",
			Remedy:  "Fix the component appid in the configuration."},
		61012: {Name: "invalid option name",
			Meaning: "the option name is not one of location_report, voice_recognize, customer_service",
			Remedy:  "Use a valid option name."},
		61013: {Name: "invalid option value",
			Meaning: "the option value is not allowed for this option",
			Remedy:  "Use 0 or 1 (location_report also allows 2)."},
		61023: {Name: "refresh_token is invalid", NeedsUser: true,
			Meaning: "the authorizer refresh token is wrong, empty or stale (the merchant re-authorized or cancelled)",
			Remedy:  "Reload the refresh token from api_get_authorizer_list; if it is missing there, the merchant must authorize again."},
		61024: {Name: "must use api(api_component_token) to get token for component acct",
			Meaning: "cgi-bin/token was called with the third-party platform's appid",
			Remedy:  "Get the platform's token with api_component_token."},
		61025: {Name: "read-only option",
			Meaning: "the option cannot be changed",
			Remedy:  "Do not set this option."},
		61028: {Name: "component is unpublished",
			Meaning: "the third-party platform is not yet released (全网发布), which this API requires",
			Remedy:  "Publish the platform, or use the accounts in 授权测试公众号/小程序列表."},
		76001: {Name: "rid not found",
			Meaning: "the rid is unknown or older than 7 days",
			Remedy:  "Look rids up within 7 days of the failing call."},
		76002: {Name: "rid is error",
			Meaning: "the rid is malformed",
			Remedy:  "Pass the rid exactly as it appears in errmsg (three groups of 8 hex digits)."},
		76003: {Name: "no permission",
			Meaning: "the rid (or cgi_path) belongs to another account, or this token may not query it",
			Remedy:  "Query with a token of the account that made the failing call."},
		76021: {Name: "cgi_path not found",
			Meaning: "quota/get does not know this cgi_path",
			Remedy:  "Pass the API path as in its URL, e.g. /cgi-bin/component/api_component_token (no host, no query)."},
	}
})

// Explain returns the catalogue entry for code. Unknown codes get a generic explanation that
// points to the official rid diagnosis tool.
func Explain(code int) CodeInfo {
	if info, ok := codes()[code]; ok {
		info.Code = code
		return info
	}
	return CodeInfo{
		Code:    code,
		Name:    "errcode " + strconv.Itoa(code),
		Meaning: fmt.Sprintf("errcode %d is not in wxauth's catalogue", code),
		Remedy:  "Look the rid up in WeChat's API diagnosis tool (" + DiagnosisURL + ") within 7 days of the call.",
	}
}

// IsTokenInvalid reports whether err is a WeChat error saying the token used is invalid or
// expired (40001, 40014, 42001): refresh the token once and retry.
func IsTokenInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e) && Explain(e.ErrCode).TokenInvalid
}

// IsRetryable reports whether the same call may succeed if retried after a backoff:
// WeChat's -1, HTTP 5xx and 429, network failures (not the caller's own cancellation) and
// truncated bodies. Errors that need a human or a config change (61004, 40125, 45009, 61023…)
// are not retryable, nor are token errors (see IsTokenInvalid).
func IsRetryable(err error) bool {
	var (
		we *Error
		he *HTTPError
		te *TransportError
		de *DecodeError
	)
	switch {
	case errors.As(err, &we):
		return Explain(we.ErrCode).Retryable
	case errors.As(err, &he):
		return he.StatusCode >= 500 || he.StatusCode == 429
	case errors.As(err, &te):
		return !te.Canceled
	case errors.As(err, &de):
		return de.Truncated
	}
	return false
}

// Class is the catalogue entry of the WeChat errcode err carries; ok is false when err is not
// a WeChat error (a network failure, say).
func Class(err error) (info CodeInfo, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return CodeInfo{}, false
	}
	return Explain(e.ErrCode), true
}

// ErrCode returns the WeChat errcode carried by err, or 0 when err is not an *Error.
func ErrCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrCode
	}
	return 0
}

// HTTPError is a response with a status other than 200. WeChat answers 200 even for errors,
// so this comes from a gateway, a proxy or an outage.
type HTTPError struct {
	API        string
	StatusCode int
	Status     string // e.g. "502 Bad Gateway"
	Snippet    string // the start of the body, secrets removed
}

// Error renders "API: HTTP STATUS: SNIPPET".
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: HTTP %s", e.API, e.Status)
	if e.Snippet != "" {
		s += ": " + e.Snippet
	}
	return s
}

// TransportError is a request that got no HTTP response: DNS, connect, TLS, reset, timeout,
// or the caller's context ending. Its message names the API path, never the URL (which holds
// the token).
type TransportError struct {
	API      string
	Path     string
	Canceled bool // the caller's context ended: retrying is pointless
	Err      error
}

// Error renders "API: POST PATH: CAUSE".
func (e *TransportError) Error() string {
	return fmt.Sprintf("%s: POST %s: %v", e.API, e.Path, e.Err)
}

// Unwrap gives the cause, so errors.Is(err, context.Canceled) works.
func (e *TransportError) Unwrap() error { return e.Err }

// DecodeError is a 200 response whose body is not the JSON the API returns: empty, HTML,
// truncated, oversized, of the wrong shape, or a success missing a required field.
type DecodeError struct {
	API       string
	Reason    string
	Truncated bool   // the body ended early (dropped connection): retryable
	Snippet   string // the start of the body, secrets removed
}

// Error renders "API: unusable response: REASON", quoting the body when it is not JSON.
func (e *DecodeError) Error() string {
	s := fmt.Sprintf("%s: unusable response: %s", e.API, e.Reason)
	if e.Snippet != "" {
		s += fmt.Sprintf(" (body starts %q)", e.Snippet)
	}
	return s
}
