package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxResponseBytes bounds a response body; no component API returns anything near it.
const DefaultMaxResponseBytes = 1 << 20

// Client calls the component endpoints. It is safe for concurrent use and holds no credentials:
// every call is given the token or secret it needs, so the caller decides where they live.
type Client struct {
	hc      *http.Client
	base    string
	maxBody int64
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL points the client at another server, e.g. the embedded simulator
// (default DefaultAPIBase). A trailing slash is ignored.
func WithBaseURL(u string) Option {
	return func(c *Client) { c.base = strings.TrimRight(u, "/") }
}

// WithMaxResponseBytes bounds the size of a response body (default 1 MiB); a larger body is an
// error that says so.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) { c.maxBody = n }
}

// NewClient returns a client using hc, or a client with a 15 s timeout when hc is nil.
func NewClient(hc *http.Client, opts ...Option) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	c := &Client{hc: hc, base: DefaultAPIBase, maxBody: DefaultMaxResponseBytes}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the API base the client calls, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Query-string names of the token. Component APIs use component_access_token (legacy docs and
// every SDK); the openapi/* and authorizer APIs use access_token.
const (
	paramComponentToken = "component_access_token"
	paramAccessToken    = "access_token"
)

// call is one API exchange: POST the compact JSON body to path (with the token in the query
// when tokenParam is set), check the status and errcode, and decode the response into out.
// secrets are the credentials of this call: they are cut out of anything put in an error.
type call struct {
	path       string
	tokenParam string
	token      string
	body       any
	out        any // a pointer; nil to only check the errcode
	secrets    []string
}

// fetch makes the call and decodes its response into a T; on any error it returns the zero T,
// never a half-decoded one.
func fetch[T any](ctx context.Context, c *Client, k call) (T, error) {
	var out T
	k.out = &out
	if err := c.do(ctx, k); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// apiName is how errors name an API: the path without /cgi-bin/ and /component/, e.g.
// "api_query_auth" or "openapi/quota/get".
func apiName(path string) string {
	name := strings.TrimPrefix(path, "/cgi-bin/")
	return strings.TrimPrefix(name, "component/")
}

// do performs one call. Its errors are *TransportError, *HTTPError, *DecodeError or *Error,
// and none of them carries the URL or a secret of the call.
func (c *Client) do(ctx context.Context, k call) error {
	api := apiName(k.path)
	secrets := append([]string{k.token}, k.secrets...)

	body, err := marshalCompact(k.body)
	if err != nil {
		return fmt.Errorf("%s: encoding request: %w", api, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+k.path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: building request for base URL %q: %w", api, c.base, err)
	}
	// The token goes in after the request is built so that no URL-parsing error can echo it.
	if k.tokenParam != "" {
		req.URL.RawQuery = k.tokenParam + "=" + url.QueryEscape(k.token)
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(ctx, api, k.path, err)
	}
	defer resp.Body.Close()

	raw, err := c.readBody(api, resp, secrets)
	if err != nil {
		if ctx.Err() != nil {
			return &TransportError{API: api, Path: k.path, Canceled: true, Err: ctx.Err()}
		}
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{API: api, StatusCode: resp.StatusCode, Status: resp.Status, Snippet: httpSnippet(raw, secrets)}
	}
	return decodeResponse(api, raw, k.out, secrets)
}

// transportError turns an error from http.Client.Do into a *TransportError. The *url.Error
// it wraps carries the full URL, token included, so only its cause is kept.
func transportError(ctx context.Context, api, path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil {
		return &TransportError{API: api, Path: path, Canceled: true, Err: ctx.Err()}
	}
	return &TransportError{API: api, Path: path, Err: err}
}

// readBody reads the whole body, refusing one larger than the limit. A body cut short by the
// connection is a truncated (retryable) *DecodeError.
func (c *Client) readBody(api string, resp *http.Response, secrets []string) ([]byte, error) {
	if resp.ContentLength > c.maxBody {
		return nil, &DecodeError{API: api, Reason: fmt.Sprintf("response body is %d bytes, larger than the %d-byte limit", resp.ContentLength, c.maxBody)}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, &DecodeError{API: api, Reason: "the body ended early: " + redact(err.Error(), secrets), Truncated: true, Snippet: snippet(raw, secrets)}
	}
	if int64(len(raw)) > c.maxBody {
		return nil, &DecodeError{API: api, Reason: fmt.Sprintf("response body is larger than the %d-byte limit", c.maxBody), Snippet: snippet(raw, secrets)}
	}
	return raw, nil
}

// marshalCompact encodes v as WeChat's compact JSON, without escaping <, > and & (WeChat does
// not expect \u003c) and without the encoder's trailing newline.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeResponse interprets a 200 response body of api (an API name such as "api_query_auth"):
// a non-zero errcode is an *Error; a body that is not a JSON object, or does not fit out, or a
// success missing a required field (out's type knows which) is a *DecodeError. out is a pointer
// to one of the response types, or nil to only check the errcode. It never returns a zero value
// with a nil error for a body that is not JSON.
func DecodeResponse(api string, body []byte, out any) error {
	return decodeResponse(api, body, out, nil)
}

// decodeResponse is DecodeResponse with the call's secrets, cut out of any error text.
func decodeResponse(api string, body []byte, out any, secrets []string) error {
	// JSON's own whitespace only: bytes.TrimSpace would also drop \v, \f and U+0085, which
	// make a body invalid JSON (found by FuzzDecodeResponse: "{}\v" was accepted).
	trimmed := bytes.Trim(body, " \t\r\n")
	if reason, truncated := notJSONObject(trimmed); reason != "" {
		return &DecodeError{API: api, Reason: reason, Truncated: truncated, Snippet: snippet(trimmed, secrets)}
	}
	var st struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(trimmed, &st); err != nil {
		return decodeFailure(api, trimmed, err, secrets)
	}
	// A missing errcode is success: token-style APIs omit it.
	if st.ErrCode != nil && *st.ErrCode != 0 {
		// WeChat is not known to echo credentials in errmsg, but a proxy or a simulator might.
		return newError(api, *st.ErrCode, redact(st.ErrMsg, secrets))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		return decodeFailure(api, trimmed, err, secrets)
	}
	if v, ok := out.(validator); ok {
		if err := v.validate(); err != nil {
			return &DecodeError{API: api, Reason: "success response " + err.Error(), Snippet: snippet(trimmed, secrets)}
		}
	}
	return nil
}

// notJSONObject says why body cannot be an API response before parsing it, so that HTML error
// pages and empty bodies get a clear reason. truncated is set for a body that ends early.
func notJSONObject(body []byte) (reason string, truncated bool) {
	switch {
	case len(body) == 0:
		return "empty body", true
	case body[0] == '<':
		return "HTML or XML instead of JSON (a proxy or gateway page?)", false
	case body[0] != '{':
		return "not a JSON object", false
	case !json.Valid(body):
		if endsEarly(body) {
			return "truncated JSON (the body ended early)", true
		}
		return "malformed JSON", false
	}
	return "", false
}

// endsEarly reports whether body is a JSON prefix that merely stops: decoding it fails with
// io.ErrUnexpectedEOF rather than at a bad character.
func endsEarly(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	err := dec.Decode(&v)
	return errors.Is(err, io.ErrUnexpectedEOF)
}

func decodeFailure(api string, body []byte, err error, secrets []string) error {
	reason := "does not match the expected shape: " + err.Error()
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		reason = fmt.Sprintf("field %q is a JSON %s, expected %s", te.Field, te.Value, te.Type)
	}
	return &DecodeError{API: api, Reason: reason, Snippet: snippet(body, secrets)}
}

// validator is implemented by response types with fields a success must carry.
type validator interface{ validate() error }

func (t *ComponentToken) validate() error {
	return required("component_access_token", t.ComponentAccessToken, "expires_in", t.ExpiresIn)
}

func (p *PreAuthCode) validate() error {
	return required("pre_auth_code", p.PreAuthCode, "expires_in", p.ExpiresIn)
}

// validate requires only the appid: the tokens come back only when the account granted API
// permissions (reference §1.3).
func (q *QueryAuth) validate() error {
	return required("authorization_info.authorizer_appid", q.AuthorizationInfo.AppID())
}

func (t *AuthorizerToken) validate() error {
	return required("authorizer_access_token", t.AuthorizerAccessToken, "expires_in", t.ExpiresIn)
}

func (r *AuthorizerInfoResponse) validate() error {
	return required("authorization_info.authorizer_appid", r.AuthorizationInfo.AppID())
}

func (l *AuthorizerList) validate() error {
	if l.TotalCount < 0 {
		return fmt.Errorf("has a negative total_count %d", l.TotalCount)
	}
	return nil
}

func (o *AuthorizerOption) validate() error { return required("option_name", o.OptionName) }

func (a *AccountBasicInfo) validate() error { return required("appid", a.AppID) }

// required checks name/value pairs: strings must be non-empty, ints positive.
func required(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		name := pairs[i].(string)
		switch v := pairs[i+1].(type) {
		case string:
			if v == "" {
				return fmt.Errorf("has no %s", name)
			}
		case int:
			if v <= 0 {
				return fmt.Errorf("has no positive %s (got %d)", name, v)
			}
		}
	}
	return nil
}

// snippetLen is how much of a body an error quotes: enough to recognise a gateway page.
const snippetLen = 120

// snippet is the start of body as one line of printable text, with the call's secrets removed.
// JSON bodies are never quoted: a response, even a broken one, may carry fresh credentials
// that no redaction list knows about.
func snippet(body []byte, secrets []string) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return ""
	}
	s := strings.ToValidUTF8(string(trimmed), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	s = redact(s, secrets)
	if r := []rune(s); len(r) > snippetLen {
		s = string(r[:snippetLen]) + "…"
	}
	return s
}

// httpSnippet describes the body of a non-200 response: its errcode and errmsg when it is
// WeChat-style JSON, else the start of the text.
func httpSnippet(body []byte, secrets []string) string {
	var st struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(body, &st) == nil && st.ErrCode != nil {
		return fmt.Sprintf("errcode %d %s", *st.ErrCode, redact(st.ErrMsg, secrets))
	}
	return snippet(body, secrets)
}

// redact replaces every secret in s by "***". Short values are skipped: they cannot be
// credentials and replacing them would garble the text.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 6 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}
