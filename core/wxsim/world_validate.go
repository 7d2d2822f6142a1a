package wxsim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

var (
	secretRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{32}$`) })
	tokenRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`) })
	aesKeyRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]{43}$`) })
	userNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^gh_[0-9a-f]{12}$`) })
)

// Validate checks every field and names the first bad one with the reason, e.g.
// "platforms[0].encoding_aes_key: must be 43 characters [A-Za-z0-9], got 12".
func (w World) Validate() error {
	if len(w.Platforms) == 0 {
		return errors.New("platforms: at least one platform is needed")
	}
	seen := map[string]string{}
	for i, p := range w.Platforms {
		f := func(name string) string { return fmt.Sprintf("platforms[%d].%s", i, name) }
		if err := validateAppID(p.ComponentAppID); err != nil {
			return fmt.Errorf("%s: %w", f("component_appid"), err)
		}
		if prev, dup := seen[p.ComponentAppID]; dup {
			return fmt.Errorf("%s: %s is already used by %s", f("component_appid"), p.ComponentAppID, prev)
		}
		seen[p.ComponentAppID] = f("component_appid")
		if !secretRe().MatchString(p.ComponentAppSecret) {
			return fmt.Errorf("%s: must be 32 hex digits (the AppSecret), got %d characters", f("component_appsecret"), len(p.ComponentAppSecret))
		}
		if !tokenRe().MatchString(p.Token) {
			return fmt.Errorf("%s: must be 3 to 32 characters [A-Za-z0-9], got %d", f("token"), len(p.Token))
		}
		if !aesKeyRe().MatchString(p.EncodingAESKey) {
			return fmt.Errorf("%s: must be 43 characters [A-Za-z0-9], got %d", f("encoding_aes_key"), len(p.EncodingAESKey))
		}
		if _, err := wxcrypt.New(p.Token, p.EncodingAESKey, p.ComponentAppID); err != nil {
			return fmt.Errorf("%s: %w", f("encoding_aes_key"), err)
		}
		if err := validateEventURL(p.EventURL); err != nil {
			return fmt.Errorf("%s: %w", f("event_url"), err)
		}
		if err := validateAuthDomain(p.AuthDomain); err != nil {
			return fmt.Errorf("%s: %w", f("auth_domain"), err)
		}
		for j, e := range p.IPWhitelist {
			if _, err := parseIPEntry(e); err != nil {
				return fmt.Errorf("%s[%d]: %w", f("ip_whitelist"), j, err)
			}
		}
	}
	for i, a := range w.Accounts {
		f := func(name string) string { return fmt.Sprintf("accounts[%d].%s", i, name) }
		if err := validateAppID(a.AppID); err != nil {
			return fmt.Errorf("%s: %w", f("appid"), err)
		}
		if prev, dup := seen[a.AppID]; dup {
			return fmt.Errorf("%s: %s is already used by %s", f("appid"), a.AppID, prev)
		}
		seen[a.AppID] = f("appid")
		if !userNameRe().MatchString(a.UserName) {
			return fmt.Errorf("%s: must be gh_ followed by 12 lowercase hex digits (the original id), got %q", f("user_name"), clip(a.UserName, 40))
		}
		if strings.TrimSpace(a.NickName) == "" {
			return fmt.Errorf("%s: must not be empty", f("nick_name"))
		}
		if a.Kind != KindMiniProgram && a.Kind != KindOfficialAccount {
			return fmt.Errorf("%s: must be %q or %q, got %q", f("kind"), KindMiniProgram, KindOfficialAccount, clip(a.Kind, 40))
		}
		if strings.TrimSpace(a.PrincipalName) == "" {
			return fmt.Errorf("%s: must not be empty", f("principal_name"))
		}
	}
	if err := w.validateAuthorizations(seen); err != nil {
		return err
	}
	return w.Settings.validate()
}

// validateAuthorizations checks the prior authorizations against the platforms and accounts
// (seen maps every appid to where it was declared).
func (w World) validateAuthorizations(seen map[string]string) error {
	dup := map[string]bool{}
	for i, a := range w.Authorizations {
		f := func(name string) string { return fmt.Sprintf("authorizations[%d].%s", i, name) }
		if !strings.HasPrefix(seen[a.ComponentAppID], "platforms[") {
			return fmt.Errorf("%s: %q is not a platform of this world", f("component_appid"), clip(a.ComponentAppID, 40))
		}
		if !strings.HasPrefix(seen[a.AuthorizerAppID], "accounts[") {
			return fmt.Errorf("%s: %q is not an account of this world", f("authorizer_appid"), clip(a.AuthorizerAppID, 40))
		}
		key := authKey(a.ComponentAppID, a.AuthorizerAppID)
		if dup[key] {
			return fmt.Errorf("%s: %s already authorized %s", f("authorizer_appid"), a.AuthorizerAppID, a.ComponentAppID)
		}
		dup[key] = true
		for j, id := range a.CategoryIDs {
			if id <= 0 {
				return fmt.Errorf("%s[%d]: must be a positive permission-set id, got %d", f("category_id_list"), j, id)
			}
		}
	}
	return nil
}

func validateAppID(id string) error {
	if !wxapi.IsAppID(id) {
		return fmt.Errorf("must be wx followed by 16 lowercase hex digits, got %q", clip(id, 40))
	}
	return nil
}

func validateEventURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http or https URL, got %q", clip(s, 80))
	}
	if u.Fragment != "" {
		return fmt.Errorf("must not have a #fragment, got %q", clip(s, 80))
	}
	return nil
}

// validateAuthDomain accepts host or host:port, the way the 授权发起页域名 is registered
// (no scheme, no path).
func validateAuthDomain(s string) error {
	if s == "" {
		return nil
	}
	if strings.ContainsAny(s, "/?#@ ") || strings.Contains(s, "://") {
		return fmt.Errorf("must be a host or host:port without scheme or path, got %q", clip(s, 80))
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if port == "" {
			return fmt.Errorf("has an empty port: %q", clip(s, 80))
		}
		host = h
	}
	if host == "" {
		return fmt.Errorf("has no host: %q", clip(s, 80))
	}
	return nil
}

// parseIPEntry reads a whitelist entry: an IP address or a CIDR prefix.
func parseIPEntry(e string) (netip.Prefix, error) {
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("must be an IP address or CIDR prefix, got %q", clip(e, 60))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(e)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("must be an IP address or CIDR prefix, got %q", clip(e, 60))
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
