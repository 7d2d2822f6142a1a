package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/pkg/browser"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
	"wxauth/storage"
)

// FieldError names the platform field that is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidAppID reports whether s is shaped like a WeChat appid (the faces check arguments with it).
func ValidAppID(s string) bool { return wxapi.IsAppID(s) }

// DefaultListenAddr is where the listener binds unless told otherwise: loopback only.
const DefaultListenAddr = "127.0.0.1:8765"

// Field names a *FieldError carries, one per platform setting.
const (
	FieldAppID      = "component appid"
	FieldAppSecret  = "appsecret"
	FieldToken      = "token"
	FieldAESKey     = "EncodingAESKey"
	FieldAuthDomain = "auth domain"
	FieldListenAddr = "listen address"
	FieldPublicURL  = "public URL"
	FieldAPIBase    = "API base"
	FieldLoginBase  = "login base"
	FieldMobileBase = "mobile base"
)

// fieldChecks are the platform's rules, one per setting, in the order a form asks for them.
// Each may fill its setting's default (listen address, public URL).
var fieldChecks = []struct {
	field string
	check func(p *Platform) error
}{
	{FieldAppID, checkAppID},
	{FieldAppSecret, checkAppSecret},
	{FieldToken, checkToken},
	{FieldAESKey, checkAESKey},
	{FieldAuthDomain, checkAuthDomain},
	{FieldListenAddr, checkListenAddr},
	{FieldPublicURL, checkPublicURL},
	{FieldAPIBase, func(p *Platform) error { return checkBase(FieldAPIBase, p.APIBase) }},
	{FieldLoginBase, func(p *Platform) error { return checkBase(FieldLoginBase, p.LoginBase) }},
	{FieldMobileBase, func(p *Platform) error { return checkBase(FieldMobileBase, p.MobileBase) }},
}

// ValidatePlatform checks every field and returns the first problem as a *FieldError.
// It also fills defaults (listen address, public URL).
func ValidatePlatform(p *Platform) error {
	for _, fc := range fieldChecks {
		if err := fc.check(p); err != nil {
			return err
		}
	}
	return nil
}

// ValidateField checks one setting of p (a Field… name) with the rules ValidatePlatform
// applies, so that a value can be checked as it is typed. The public URL is checked against
// p's auth domain.
func ValidateField(p *Platform, field string) error {
	for _, fc := range fieldChecks {
		if fc.field == field {
			return fc.check(p)
		}
	}
	return fmt.Errorf("unknown platform field %q", field)
}

func checkAppID(p *Platform) error {
	p.ComponentAppID = strings.TrimSpace(p.ComponentAppID)
	if !wxapi.IsAppID(p.ComponentAppID) {
		return &FieldError{FieldAppID, "must be wx followed by 16 lowercase hex digits (开发资料 → AppID)"}
	}
	return nil
}

func checkAppSecret(p *Platform) error {
	switch {
	case strings.TrimSpace(p.AppSecret) == "":
		return &FieldError{FieldAppSecret, "is required (开发资料 → AppSecret)"}
	case len(p.AppSecret) != 32:
		return &FieldError{FieldAppSecret, fmt.Sprintf("must be 32 characters, got %d", len(p.AppSecret))}
	}
	return nil
}

func checkToken(p *Platform) error {
	switch {
	case p.Token == "":
		return &FieldError{FieldToken, "is required (the 消息校验Token)"}
	case len(p.Token) < 3 || len(p.Token) > 32 || strings.ContainsAny(p.Token, " \t\r\n"):
		return &FieldError{FieldToken, "must be 3 to 32 characters without spaces"}
	}
	return nil
}

func checkAESKey(p *Platform) error {
	if _, err := wxcrypt.DecodeAESKey(p.EncodingAESKey); err != nil {
		return &FieldError{FieldAESKey, "must be exactly 43 letters and digits (消息加解密Key)"}
	}
	return nil
}

func checkAuthDomain(p *Platform) error {
	p.AuthDomain = strings.TrimSpace(p.AuthDomain)
	if p.AuthDomain == "" || strings.Contains(p.AuthDomain, "/") || strings.ContainsAny(p.AuthDomain, " ?#") {
		return &FieldError{FieldAuthDomain, "must be a bare host[:port] without scheme or path, e.g. auth.example.com (授权发起页域名)"}
	}
	return nil
}

// checkListenAddr fills the default: the listener binds loopback unless told.
func checkListenAddr(p *Platform) error {
	if p.ListenAddr == "" {
		p.ListenAddr = DefaultListenAddr
	}
	if _, _, err := net.SplitHostPort(p.ListenAddr); err != nil {
		return &FieldError{FieldListenAddr, "must be host:port, e.g. 127.0.0.1:8765"}
	}
	return nil
}

// checkPublicURL fills the default (https on the auth domain) and holds WeChat's rule that the
// launch page and the callback live on the registered domain.
func checkPublicURL(p *Platform) error {
	if p.PublicURL == "" {
		p.PublicURL = "https://" + p.AuthDomain
	}
	p.PublicURL = strings.TrimRight(p.PublicURL, "/")
	u, err := url.Parse(p.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{FieldPublicURL, "must be an http(s) URL through which WeChat reaches the listener"}
	}
	if u.Host != p.AuthDomain {
		return &FieldError{FieldPublicURL, fmt.Sprintf("host %s must equal the auth domain %s: WeChat requires the launch page and the callback on the registered domain", u.Host, p.AuthDomain)}
	}
	return nil
}

// checkBase checks an optional base URL (empty = WeChat's own).
func checkBase(field, base string) error {
	if base == "" {
		return nil
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{field, "must be an http(s) URL"}
	}
	return nil
}

// AddPlatform validates and stores a platform.
func (e *Engine) AddPlatform(ctx context.Context, p Platform) (Platform, error) {
	if err := ValidatePlatform(&p); err != nil {
		return p, err
	}
	p.CreatedAt = e.clock.Now()
	if err := e.db.AddPlatform(ctx, p.row()); err != nil {
		return p, err
	}
	_, err := e.crypter(p)
	return p, err
}

// UpdatePlatform validates and replaces a platform's settings, keeping its credentials.
func (e *Engine) UpdatePlatform(ctx context.Context, p Platform) (Platform, error) {
	if err := ValidatePlatform(&p); err != nil {
		return p, err
	}
	if err := e.db.UpdatePlatform(ctx, p.row()); err != nil {
		return p, err
	}
	e.mu.Lock()
	delete(e.crypters, p.ComponentAppID) // the Token or the key may have changed
	e.mu.Unlock()
	_, err := e.crypter(p)
	return p, err
}

// Platforms lists the configured platforms.
func (e *Engine) Platforms(ctx context.Context) ([]Platform, error) {
	rows, err := e.db.Platforms(ctx)
	return each(rows, platformOf), err
}

// Platform returns one platform; with an empty appid, the only one (an error when there are
// none or several).
func (e *Engine) Platform(ctx context.Context, componentAppID string) (Platform, error) {
	if componentAppID != "" {
		p, err := e.loadPlatform(ctx, componentAppID)
		if errors.Is(err, storage.ErrNotFound) {
			return p, &UserError{Msg: "no platform " + componentAppID + " is configured", Remedy: "list them with `wxauth platform list`", Err: err}
		}
		return p, err
	}
	ps, err := e.db.Platforms(ctx)
	if err != nil {
		return Platform{}, err
	}
	switch len(ps) {
	case 0:
		return Platform{}, &UserError{Msg: "no platform is configured", Remedy: "add one with `wxauth platform add`, or try the sandbox with `wxauth demo`"}
	case 1:
		return platformOf(ps[0]), nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ComponentAppID
	}
	return Platform{}, &UserError{Msg: "several platforms are configured: " + strings.Join(ids, ", "), Remedy: "choose one with --platform COMPONENT_APPID"}
}

// RemovePlatform deletes a platform's configuration and current credentials.
func (e *Engine) RemovePlatform(ctx context.Context, componentAppID string) error {
	e.mu.Lock()
	delete(e.crypters, componentAppID)
	e.mu.Unlock()
	return e.db.RemovePlatform(ctx, componentAppID)
}

// crypter returns the cached Crypter of a platform, building it on first use.
func (e *Engine) crypter(p Platform) (*wxcrypt.Crypter, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.crypters[p.ComponentAppID]; ok {
		return c, nil
	}
	c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
	if err != nil {
		return nil, err
	}
	e.crypters[p.ComponentAppID] = c
	return c, nil
}

// LoadCrypters (re)reads every platform so the listener can check pushes from memory.
func (e *Engine) LoadCrypters(ctx context.Context) error {
	ps, err := e.db.Platforms(ctx)
	if err != nil {
		return err
	}
	fresh := map[string]*wxcrypt.Crypter{}
	for _, p := range ps {
		c, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID)
		if err != nil {
			return fmt.Errorf("platform %s: %w", p.ComponentAppID, err)
		}
		fresh[p.ComponentAppID] = c
	}
	e.mu.Lock()
	e.crypters = fresh
	e.mu.Unlock()
	return nil
}

// CrypterFor is the listener's lookup: the Crypter of a known platform, from memory only, so a
// flood of forged pushes never reaches the database.
func (e *Engine) CrypterFor(componentAppID string) (*wxcrypt.Crypter, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.crypters[componentAppID]
	return c, ok
}

var browserOnce sync.Once

// openBrowser opens url in the system browser without letting it write on our terminal.
func openBrowser(url string) error {
	browserOnce.Do(func() { browser.Stdout, browser.Stderr = io.Discard, io.Discard })
	if err := displayMissing(url); err != nil {
		return err
	}
	if err := browser.OpenURL(url); err != nil {
		return &BrowserError{Reason: browserFailure(err), URL: url, Err: err}
	}
	return nil
}
