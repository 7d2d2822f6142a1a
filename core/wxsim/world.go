package wxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// World is what the simulator serves: third-party platforms, the merchant accounts that can
// authorize them, and the rules (lifetimes, quotas, push cadence). It is read from a JSON file
// (LoadWorld) or built in (DefaultWorld).
type World struct {
	Platforms []Platform `json:"platforms"`
	Accounts  []Account  `json:"accounts"`
	Settings  Settings   `json:"settings"`
}

// Platform is one third-party platform (第三方平台) as registered on the Open Platform.
type Platform struct {
	ComponentAppID     string `json:"component_appid"`
	ComponentAppSecret string `json:"component_appsecret"`
	// Token and EncodingAESKey sign and encrypt the pushes (消息校验Token, 消息加解密Key).
	Token          string `json:"token"`
	EncodingAESKey string `json:"encoding_aes_key"`
	// EventURL is the 授权事件接收URL the pushes are POSTed to; empty until it is known.
	EventURL string `json:"event_url"`
	// AuthDomain is the registered 授权发起页域名, host[:port]; without a port only the host
	// name is compared.
	AuthDomain string `json:"auth_domain"`
	// IPWhitelist holds IPs or CIDR prefixes allowed to call the APIs; empty allows everyone.
	IPWhitelist []string `json:"ip_whitelist"`
}

// Account kinds.
const (
	KindMiniProgram     = "miniprogram"
	KindOfficialAccount = "officialaccount"
)

// Account is a merchant account (mini program or official account) that can authorize a
// platform on the authorization page.
type Account struct {
	AppID         string `json:"appid"`
	UserName      string `json:"user_name"` // the original id, gh_ + 12 hex
	NickName      string `json:"nick_name"`
	Kind          string `json:"kind"` // "miniprogram" or "officialaccount"
	PrincipalName string `json:"principal_name"`
}

// IsMiniProgram reports whether the account is a mini program.
func (a Account) IsMiniProgram() bool { return a.Kind == KindMiniProgram }

// Settings are the rules of the world. A zero value means the default from the reference
// (see DefaultSettings); durations are Go duration strings in JSON ("10m", "2h").
type Settings struct {
	// PushInterval is how often component_verify_ticket is pushed (10 min).
	PushInterval Duration `json:"push_interval"`
	// TicketRepeats is how many pushes carry the same ticket before it rotates (a real log
	// shows 2; a blog says 6: UNCONFIRMED, hence configurable).
	TicketRepeats int `json:"ticket_repeats"`
	// TicketTTL is how long a ticket is accepted by api_component_token (12 h; 61005 after).
	TicketTTL Duration `json:"ticket_ttl"`
	// ComponentTokenTTL is the lifetime of component_access_token (2 h).
	ComponentTokenTTL Duration `json:"component_token_ttl"`
	// ComponentTokenOverlap is how long the previous component token keeps working after a
	// new one is minted (5 min; 40001 after).
	ComponentTokenOverlap Duration `json:"component_token_overlap"`
	// AuthorizerTokenTTL is the lifetime of authorizer_access_token (2 h).
	AuthorizerTokenTTL Duration `json:"authorizer_token_ttl"`
	// AuthorizerTokenOverlap is the same grace for authorizer tokens (5 min; UNCONFIRMED).
	AuthorizerTokenOverlap Duration `json:"authorizer_token_overlap"`
	// RefreshTokenGrace is how long the previous authorizer_refresh_token keeps working after
	// a re-authorization rotated it (5 min, the reference's conservative reading; 61023 after).
	RefreshTokenGrace Duration `json:"refresh_token_grace"`
	// PreAuthCodeTTL is the lifetime of a pre_auth_code (1800 s, as real responses say).
	PreAuthCodeTTL Duration `json:"pre_auth_code_ttl"`
	// AuthCodeTTL is the lifetime of an authorization code (3600 s).
	AuthCodeTTL Duration `json:"auth_code_ttl"`
	// PushTimeout is how long a receiver has to answer "success" (5 s, real time).
	PushTimeout Duration `json:"push_timeout"`
	// DailyQuota overrides the daily call limit of an API, by API name
	// ("api_component_token", "account/getaccountbasicinfo", …).
	DailyQuota map[string]int `json:"daily_quota"`
	// ClearQuotaPerMonth is the monthly budget of quota resets per appid (10; 48006 after).
	ClearQuotaPerMonth int `json:"clear_quota_per_month"`
	// StrictReferer makes the authorization pages check the Referer host and the
	// redirect_uri host against the platform's auth_domain (default true).
	StrictReferer *bool `json:"strict_referer,omitempty"`
	// AcceptBareCodes makes codes without their prefix (the part after "@@@") acceptable
	// (UNCONFIRMED; default true).
	AcceptBareCodes *bool `json:"accept_bare_codes,omitempty"`
	// HonorCategoryIDs makes category_id_list decide the granted permission sets
	// (UNCONFIRMED; default true). Otherwise the account's full default set is granted.
	HonorCategoryIDs *bool `json:"honor_category_id_list,omitempty"`
}

// Duration is a time.Duration written as a Go duration string in JSON ("10m0s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "10m" or "1h30m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a Go duration string such as \"10m\", got %s", clip(string(b), 40))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a Go duration string such as \"10m\", got %q", clip(s, 40))
	}
	*d = Duration(v)
	return nil
}

// UnmarshalJSON decodes the settings strictly (unknown keys are errors) and names the field
// of a bad duration, which the json package would not do for a custom type.
func (s *Settings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("settings: must be a JSON object")
	}
	type plain Settings // without this method
	var out plain
	fields := settingsFields()
	for key, val := range raw {
		f, ok := fields[key]
		if !ok {
			return fmt.Errorf("settings.%s: unknown setting (known: %s)", key, strings.Join(sortedKeys(fields), ", "))
		}
		if err := json.Unmarshal(val, f((*Settings)(&out))); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return fmt.Errorf("settings.%s: must be a JSON %s, got %s", key, jsonKind(te.Type.Kind().String()), te.Value)
			}
			return fmt.Errorf("settings.%s: %w", key, err)
		}
	}
	*s = Settings(out)
	return nil
}

// settingsFields maps each JSON key to the address of its field.
func settingsFields() map[string]func(*Settings) any {
	return map[string]func(*Settings) any{
		"push_interval":           func(s *Settings) any { return &s.PushInterval },
		"ticket_repeats":          func(s *Settings) any { return &s.TicketRepeats },
		"ticket_ttl":              func(s *Settings) any { return &s.TicketTTL },
		"component_token_ttl":     func(s *Settings) any { return &s.ComponentTokenTTL },
		"component_token_overlap": func(s *Settings) any { return &s.ComponentTokenOverlap },
		"authorizer_token_ttl":    func(s *Settings) any { return &s.AuthorizerTokenTTL },
		"authorizer_token_overlap": func(s *Settings) any {
			return &s.AuthorizerTokenOverlap
		},
		"refresh_token_grace":    func(s *Settings) any { return &s.RefreshTokenGrace },
		"pre_auth_code_ttl":      func(s *Settings) any { return &s.PreAuthCodeTTL },
		"auth_code_ttl":          func(s *Settings) any { return &s.AuthCodeTTL },
		"push_timeout":           func(s *Settings) any { return &s.PushTimeout },
		"daily_quota":            func(s *Settings) any { return &s.DailyQuota },
		"clear_quota_per_month":  func(s *Settings) any { return &s.ClearQuotaPerMonth },
		"strict_referer":         func(s *Settings) any { return &s.StrictReferer },
		"accept_bare_codes":      func(s *Settings) any { return &s.AcceptBareCodes },
		"honor_category_id_list": func(s *Settings) any { return &s.HonorCategoryIDs },
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Defaults from the reference (§1, §3, §7).
const (
	DefaultPushInterval           = 10 * time.Minute
	DefaultTicketRepeats          = 2
	DefaultTicketTTL              = 12 * time.Hour
	DefaultComponentTokenTTL      = 2 * time.Hour
	DefaultComponentTokenOverlap  = 5 * time.Minute
	DefaultAuthorizerTokenTTL     = 2 * time.Hour
	DefaultAuthorizerTokenOverlap = 5 * time.Minute
	DefaultRefreshTokenGrace      = 5 * time.Minute
	DefaultPreAuthCodeTTL         = 1800 * time.Second
	DefaultAuthCodeTTL            = 3600 * time.Second
	DefaultPushTimeout            = 5 * time.Second
	DefaultClearQuotaPerMonth     = 10
)

// DefaultSettings returns every setting at its default, with the default daily quotas.
func DefaultSettings() Settings {
	t := true
	return Settings{
		PushInterval:           Duration(DefaultPushInterval),
		TicketRepeats:          DefaultTicketRepeats,
		TicketTTL:              Duration(DefaultTicketTTL),
		ComponentTokenTTL:      Duration(DefaultComponentTokenTTL),
		ComponentTokenOverlap:  Duration(DefaultComponentTokenOverlap),
		AuthorizerTokenTTL:     Duration(DefaultAuthorizerTokenTTL),
		AuthorizerTokenOverlap: Duration(DefaultAuthorizerTokenOverlap),
		RefreshTokenGrace:      Duration(DefaultRefreshTokenGrace),
		PreAuthCodeTTL:         Duration(DefaultPreAuthCodeTTL),
		AuthCodeTTL:            Duration(DefaultAuthCodeTTL),
		PushTimeout:            Duration(DefaultPushTimeout),
		DailyQuota:             defaultQuotas(),
		ClearQuotaPerMonth:     DefaultClearQuotaPerMonth,
		StrictReferer:          &t,
		AcceptBareCodes:        &t,
		HonorCategoryIDs:       &t,
	}
}

// withDefaults fills every zero setting with its default. Quotas given in the world override
// the defaults API by API.
func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	dur := func(v *Duration, def Duration) {
		if *v == 0 {
			*v = def
		}
	}
	dur(&s.PushInterval, d.PushInterval)
	dur(&s.TicketTTL, d.TicketTTL)
	dur(&s.ComponentTokenTTL, d.ComponentTokenTTL)
	dur(&s.ComponentTokenOverlap, d.ComponentTokenOverlap)
	dur(&s.AuthorizerTokenTTL, d.AuthorizerTokenTTL)
	dur(&s.AuthorizerTokenOverlap, d.AuthorizerTokenOverlap)
	dur(&s.RefreshTokenGrace, d.RefreshTokenGrace)
	dur(&s.PreAuthCodeTTL, d.PreAuthCodeTTL)
	dur(&s.AuthCodeTTL, d.AuthCodeTTL)
	dur(&s.PushTimeout, d.PushTimeout)
	if s.TicketRepeats == 0 {
		s.TicketRepeats = d.TicketRepeats
	}
	if s.ClearQuotaPerMonth == 0 {
		s.ClearQuotaPerMonth = d.ClearQuotaPerMonth
	}
	q := d.DailyQuota
	for k, v := range s.DailyQuota {
		q[k] = v
	}
	s.DailyQuota = q
	if s.StrictReferer == nil {
		s.StrictReferer = d.StrictReferer
	}
	if s.AcceptBareCodes == nil {
		s.AcceptBareCodes = d.AcceptBareCodes
	}
	if s.HonorCategoryIDs == nil {
		s.HonorCategoryIDs = d.HonorCategoryIDs
	}
	return s
}

// DefaultWorld is the built-in sandbox: one platform whose event URL and authorization domain
// are those of wxauth's own listener (127.0.0.1:8765), three mini programs and one official
// account. The values are fixed so that the README and a user's notes stay valid.
func DefaultWorld() World {
	return World{
		Platforms: []Platform{{
			ComponentAppID:     "wx3f9a6c21b5d7e08c",
			ComponentAppSecret: "7c1e9a4b2d8f60357ab9c2e41d6f8a03",
			Token:              "wxauthSandboxToken",
			EncodingAESKey:     "Q2hhbmdlTWVJblRoZVdvcmxkRmlsZVNhbmRib3gwMTI",
			EventURL:           "http://127.0.0.1:8765/wechat/events",
			AuthDomain:         "127.0.0.1:8765",
			IPWhitelist:        []string{},
		}},
		Accounts: []Account{
			{AppID: "wx8d5e2f7a1c3b9046", UserName: "gh_1a2b3c4d5e6f", NickName: "拾光咖啡点单", Kind: KindMiniProgram, PrincipalName: "杭州拾光餐饮管理有限公司"},
			{AppID: "wx2c7b1e9f0a4d6835", UserName: "gh_7c9e0a2b4d6f", NickName: "云途出行助手", Kind: KindMiniProgram, PrincipalName: "深圳市云途科技有限公司"},
			{AppID: "wx5a0f3d8c2e6b7194", UserName: "gh_3e5f7a9c1b2d", NickName: "青禾书店", Kind: KindMiniProgram, PrincipalName: "成都青禾文化传播有限公司"},
			{AppID: "wx9e4c6a2f8b1d3057", UserName: "gh_8b0d2f4a6c8e", NickName: "青禾书店服务号", Kind: KindOfficialAccount, PrincipalName: "成都青禾文化传播有限公司"},
		},
		Settings: DefaultSettings(),
	}
}

// LoadWorld reads, validates and completes (defaults filled in) a world file.
func LoadWorld(path string) (World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return World{}, fmt.Errorf("reading world file: %w", err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return World{}, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ParseWorld decodes, validates and completes a world given as JSON.
func ParseWorld(data []byte) (World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return World{}, describeJSONError(data, err)
	}
	if dec.More() {
		return World{}, errors.New("unexpected data after the world object")
	}
	if err := w.Validate(); err != nil {
		return World{}, err
	}
	w.Settings = w.Settings.withDefaults()
	return w, nil
}

// describeJSONError turns a decoding error into one that names the place: the line and
// column of a syntax error, the field of a type error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("line %d, column %d: invalid JSON: %v", line, col, se)
	case errors.Is(err, io.EOF):
		return errors.New("empty file: a world is a JSON object with platforms, accounts and settings")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%s: must be a JSON %s, got %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", rest)
	}
	return err
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}

var (
	secretRe    = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	tokenRe     = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyRe    = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	userNameRe  = regexp.MustCompile(`^gh_[0-9a-f]{12}$`)
	quotaLimits = 1_000_000_000
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
		if !secretRe.MatchString(p.ComponentAppSecret) {
			return fmt.Errorf("%s: must be 32 hex digits (the AppSecret), got %d characters", f("component_appsecret"), len(p.ComponentAppSecret))
		}
		if !tokenRe.MatchString(p.Token) {
			return fmt.Errorf("%s: must be 3 to 32 characters [A-Za-z0-9], got %d", f("token"), len(p.Token))
		}
		if !aesKeyRe.MatchString(p.EncodingAESKey) {
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
		if !userNameRe.MatchString(a.UserName) {
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
	return w.Settings.validate()
}

func (s Settings) validate() error {
	durs := []struct {
		name string
		v    Duration
		min  time.Duration
	}{
		{"push_interval", s.PushInterval, time.Second},
		{"ticket_ttl", s.TicketTTL, time.Second},
		{"component_token_ttl", s.ComponentTokenTTL, time.Second},
		{"component_token_overlap", s.ComponentTokenOverlap, 0},
		{"authorizer_token_ttl", s.AuthorizerTokenTTL, time.Second},
		{"authorizer_token_overlap", s.AuthorizerTokenOverlap, 0},
		{"refresh_token_grace", s.RefreshTokenGrace, 0},
		{"pre_auth_code_ttl", s.PreAuthCodeTTL, time.Second},
		{"auth_code_ttl", s.AuthCodeTTL, time.Second},
		{"push_timeout", s.PushTimeout, time.Millisecond},
	}
	for _, d := range durs {
		if d.v == 0 {
			continue // default
		}
		if d.v.D() < 0 || d.v.D() < d.min {
			return fmt.Errorf("settings.%s: must be at least %v (or left out for the default), got %v", d.name, d.min, d.v)
		}
	}
	if s.TicketRepeats < 0 {
		return fmt.Errorf("settings.ticket_repeats: must be at least 1 (or left out for the default), got %d", s.TicketRepeats)
	}
	if s.ClearQuotaPerMonth < 0 {
		return fmt.Errorf("settings.clear_quota_per_month: must be at least 1 (or left out for the default), got %d", s.ClearQuotaPerMonth)
	}
	known := defaultQuotas()
	for _, name := range sortedKeys(s.DailyQuota) {
		n := s.DailyQuota[name]
		if _, ok := known[name]; !ok {
			return fmt.Errorf("settings.daily_quota.%s: unknown API (known: %s)", name, strings.Join(sortedKeys(known), ", "))
		}
		if n < 1 || n > quotaLimits {
			return fmt.Errorf("settings.daily_quota.%s: must be between 1 and %d, got %d", name, quotaLimits, n)
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

// clip shortens s for an error message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Mask shows the first 4 characters of a secret followed by "…", for summaries and logs.
func Mask(secret string) string {
	r := []rune(secret)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + "…"
}
