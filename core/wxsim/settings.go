package wxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

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

// maxDailyQuota bounds settings.daily_quota.
const maxDailyQuota = 1_000_000_000

// validate checks the ranges; zero values are left for withDefaults.
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
		if n < 1 || n > maxDailyQuota {
			return fmt.Errorf("settings.daily_quota.%s: must be between 1 and %d, got %d", name, maxDailyQuota, n)
		}
	}
	return nil
}
