package flow_test

import (
	"errors"
	"testing"

	"wxauth/core/flow"
)

func ptr(s string) *string { return &s }

// TestPatchApply: only the given settings change; the public URL follows a new domain when it
// was on the old one, and stays when it was elsewhere or is given.
func TestPatchApply(t *testing.T) {
	base := flow.Platform{ComponentAppID: "wx0123456789abcdef", Token: "tok", AuthDomain: "auth.example.com",
		PublicURL: "https://auth.example.com", ListenAddr: "127.0.0.1:8765", APIBase: "http://127.0.0.1:9090"}
	tests := []struct {
		name  string
		from  flow.Platform
		patch flow.PlatformPatch
		check func(p flow.Platform) bool
	}{
		{"nothing", base, flow.PlatformPatch{}, func(p flow.Platform) bool { return p == base }},
		{"listen only", base, flow.PlatformPatch{ListenAddr: ptr("0.0.0.0:1")},
			func(p flow.Platform) bool {
				return p.ListenAddr == "0.0.0.0:1" && p.Token == "tok" && p.PublicURL == base.PublicURL
			}},
		{"domain moves the public URL", base, flow.PlatformPatch{AuthDomain: ptr("auth.example.org")},
			func(p flow.Platform) bool { return p.PublicURL == "https://auth.example.org" }},
		{"domain with a port, http kept", flow.Platform{AuthDomain: "127.0.0.1:1", PublicURL: "http://127.0.0.1:1/base"}, flow.PlatformPatch{AuthDomain: ptr("127.0.0.1:2")},
			func(p flow.Platform) bool { return p.PublicURL == "http://127.0.0.1:2/base" }},
		{"domain and public URL given", base, flow.PlatformPatch{AuthDomain: ptr("a.example.org"), PublicURL: ptr("https://a.example.org/x")},
			func(p flow.Platform) bool { return p.PublicURL == "https://a.example.org/x" }},
		{"public URL elsewhere stays", flow.Platform{AuthDomain: "a.example.com", PublicURL: "https://b.example.com"}, flow.PlatformPatch{AuthDomain: ptr("c.example.com")},
			func(p flow.Platform) bool { return p.PublicURL == "https://b.example.com" }},
		{"empty resets a base", base, flow.PlatformPatch{APIBase: ptr("")}, func(p flow.Platform) bool { return p.APIBase == "" }},
		{"values trimmed", base, flow.PlatformPatch{Token: ptr(" t2 \n")}, func(p flow.Platform) bool { return p.Token == "t2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.patch.Apply(tt.from); !tt.check(got) {
				t.Errorf("Apply = %+v", got)
			}
		})
	}
}

// TestValidateField: each setting is checked alone with ValidatePlatform's rules.
func TestValidateField(t *testing.T) {
	tests := []struct {
		field string
		p     flow.Platform
		ok    bool
	}{
		{flow.FieldAppID, flow.Platform{ComponentAppID: " wx0123456789abcdef "}, true},
		{flow.FieldAppID, flow.Platform{ComponentAppID: "wx123"}, false},
		{flow.FieldAppSecret, flow.Platform{AppSecret: "0123456789abcdef0123456789abcdef"}, true},
		{flow.FieldAppSecret, flow.Platform{AppSecret: "short"}, false},
		{flow.FieldToken, flow.Platform{Token: "a b"}, false},
		{flow.FieldAESKey, flow.Platform{EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}, true},
		{flow.FieldAuthDomain, flow.Platform{AuthDomain: "https://x"}, false},
		{flow.FieldListenAddr, flow.Platform{}, true}, // the default fills in
		{flow.FieldPublicURL, flow.Platform{AuthDomain: "a.example.com", PublicURL: "https://b.example.com"}, false},
		{flow.FieldMobileBase, flow.Platform{MobileBase: "ftp://x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			err := flow.ValidateField(&tt.p, tt.field)
			var fe *flow.FieldError
			if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &fe) || fe.Field != tt.field)) {
				t.Errorf("ValidateField(%s) = %v, ok want %v", tt.field, err, tt.ok)
			}
		})
	}
	if err := flow.ValidateField(&flow.Platform{}, "colour"); err == nil {
		t.Error("an unknown field passed")
	}
}
