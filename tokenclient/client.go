// Package tokenclient reads WeChat tokens from a wxauth token service (`wxauth serve --api`).
// It caches each token until shortly before it expires, reports a token WeChat refused so that
// wxauth replaces it (once), and returns typed errors. Standard library only: copy it into a
// project as is if you prefer.
//
//	c := tokenclient.New("http://127.0.0.1:8766", os.Getenv("WXAUTH_KEY"))
//	tok, err := c.Authorizer(ctx, "wx1234567890abcdef")
//	// call WeChat with tok; on errcode 40001/40014/42001:
//	tok, err = c.Invalid(ctx, "wx1234567890abcdef", tok)
package tokenclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Component names the component token where an authorizer appid is expected.
const Component = "component"

// DefaultEarly is how long before a token's expiry the cache stops handing it out.
const DefaultEarly = 5 * time.Minute

// Token is one token as the service hands it out.
type Token struct {
	Token           string    `json:"token"`
	ExpiresAt       time.Time `json:"expires_at"`
	ExpiresIn       int       `json:"expires_in"`
	AuthorizerAppID string    `json:"authorizer_appid,omitempty"`
	ComponentAppID  string    `json:"component_appid"`
	Reminted        bool      `json:"reminted,omitempty"`
}

// Error is the service's refusal: Status is the HTTP status, Code the service's error code
// ("unauthorized", "forbidden", "needs_reauthorization", "revoked", "no_ticket",
// "ip_not_whitelisted", "quota_exhausted", "rate_limited", "unavailable"…), Remedy what to do.
type Error struct {
	Status     int
	Code       string
	Message    string
	Remedy     string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("wxauth token service: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
	if e.Remedy != "" {
		s += "; " + e.Remedy
	}
	return s
}

// Sentinels for errors.Is: each matches an *Error of that kind.
var (
	ErrUnauthorized = &Error{Status: http.StatusUnauthorized}       // no or unknown key
	ErrForbidden    = &Error{Status: http.StatusForbidden}          // out of scope, or no such appid
	ErrNeedsUser    = &Error{Status: http.StatusConflict}           // the merchant must authorize again, or revoked
	ErrUnavailable  = &Error{Status: http.StatusServiceUnavailable} // no ticket, IP, quota, WeChat down
	ErrRateLimited  = &Error{Status: http.StatusTooManyRequests}    // a re-mint was too recent
)

// Is matches errors of the same HTTP status.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == "" && t.Status == e.Status
}

// Client reads tokens from one token service with one key. Safe for concurrent use.
type Client struct {
	base  string
	key   string
	hc    *http.Client
	early time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]Token
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient uses hc (timeouts, TLS roots) instead of a client with a 45 s timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithEarly sets how long before expiry a cached token is dropped (and the service asked for a
// token valid at least that long).
func WithEarly(d time.Duration) Option { return func(c *Client) { c.early = d } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New builds a client of the service at base (e.g. "http://127.0.0.1:8766") with key.
func New(base, key string, opts ...Option) *Client {
	c := &Client{base: base, key: key, hc: &http.Client{Timeout: 45 * time.Second}, early: DefaultEarly, now: time.Now, cache: map[string]Token{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Authorizer returns a valid authorizer_access_token of appid.
func (c *Client) Authorizer(ctx context.Context, appid string) (string, error) {
	t, err := c.Get(ctx, appid)
	return t.Token, err
}

// ComponentToken returns a valid component_access_token.
func (c *Client) ComponentToken(ctx context.Context) (string, error) {
	t, err := c.Get(ctx, Component)
	return t.Token, err
}

// Get returns the token of appid (or Component), from the cache while it lives longer than the
// early margin, else from the service.
func (c *Client) Get(ctx context.Context, appid string) (Token, error) {
	c.mu.Lock()
	t, ok := c.cache[appid]
	c.mu.Unlock()
	if ok && t.ExpiresAt.Sub(c.now()) > c.early {
		return t, nil
	}
	q := url.Values{"min_valid": {strconv.Itoa(int(c.early / time.Second))}}
	t, err := c.do(ctx, http.MethodGet, "/v1/token/"+url.PathEscape(appid)+"?"+q.Encode(), nil)
	if err == nil {
		c.store(appid, t)
	}
	return t, err
}

// Invalid reports that WeChat refused token (errcode 40001, 40014 or 42001) and returns the
// token to retry with: a new one if token was current, else the one that replaced it.
func (c *Client) Invalid(ctx context.Context, appid, token string) (string, error) {
	c.mu.Lock()
	if t, ok := c.cache[appid]; ok && t.Token == token {
		delete(c.cache, appid)
	}
	c.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"token": token})
	t, err := c.do(ctx, http.MethodPost, "/v1/token/"+url.PathEscape(appid)+"/invalid", body)
	if err == nil {
		c.store(appid, t)
	}
	return t.Token, err
}

func (c *Client) store(appid string, t Token) {
	c.mu.Lock()
	c.cache[appid] = t
	c.mu.Unlock()
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (Token, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("wxauth token service: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Token{}, fmt.Errorf("wxauth token service: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Token{}, apiError(resp, data)
	}
	var t Token
	if err := json.Unmarshal(data, &t); err != nil || t.Token == "" {
		return Token{}, fmt.Errorf("wxauth token service: unexpected answer %q", truncate(data))
	}
	return t, nil
}

func apiError(resp *http.Response, data []byte) error {
	var body struct {
		Error struct{ Code, Message, Remedy string } `json:"error"`
	}
	e := &Error{Status: resp.StatusCode}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Remedy = body.Error.Code, body.Error.Message, body.Error.Remedy
	} else {
		e.Code, e.Message = "http_"+strconv.Itoa(resp.StatusCode), truncate(data)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
