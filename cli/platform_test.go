package cli_test

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// validAdd is a complete `platform add` whose values pass validation (secret aside).
func validAdd(overrides map[string]string) []string {
	flags := map[string]string{
		"--appid": sandboxAppID, "--token": sandboxToken, "--aes-key": sandboxAESKey,
		"--domain": "auth.example.com",
	}
	for k, v := range overrides {
		flags[k] = v
	}
	args := []string{"platform", "add"}
	for _, k := range []string{"--appid", "--token", "--aes-key", "--domain", "--public-url", "--listen", "--api-base", "--login-base", "--mobile-base"} {
		if v, ok := flags[k]; ok {
			args = append(args, k, v)
		}
	}
	return args
}

func TestPlatformAddSecretSources(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		stdin string
	}{
		{name: "from WXAUTH_APPSECRET", env: sandboxSecret, stdin: "ignored\n"},
		{name: "from the first line of stdin", stdin: sandboxSecret + "\nsecond line is not read\n"},
		{name: "from stdin without a newline", stdin: sandboxSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WXAUTH_APPSECRET", tt.env)
			db := tempDB(t)
			r := wx(t, db, tt.stdin, validAdd(nil)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			if strings.Contains(r.out+r.err, sandboxSecret) {
				t.Error("the appsecret was echoed")
			}
			for _, want := range []string{"https://auth.example.com/wechat/events", "授权发起页域名", "auth.example.com"} {
				if !strings.Contains(r.out, want) {
					t.Errorf("output lacks %q:\n%s", want, r.out)
				}
			}
			var p map[string]any
			wxJSON(t, db, &p, "platform", "show", "--reveal")
			if p["appsecret"] != sandboxSecret {
				t.Errorf("stored appsecret %q", p["appsecret"])
			}
		})
	}
}

func TestPlatformAddInvalidFields(t *testing.T) {
	tests := []struct {
		name      string
		secret    string
		overrides map[string]string
		field     string // as FieldError names it
		flag      string
	}{
		{name: "appid", secret: sandboxSecret, overrides: map[string]string{"--appid": "wx123"}, field: "component appid", flag: "--appid"},
		{name: "appid upper case", secret: sandboxSecret, overrides: map[string]string{"--appid": "WX3F9A6C21B5D7E08C"}, field: "component appid", flag: "--appid"},
		{name: "missing secret", secret: "", field: "appsecret", flag: "$WXAUTH_APPSECRET or --appsecret-file"},
		{name: "short secret", secret: "0123456789", field: "appsecret", flag: "$WXAUTH_APPSECRET or --appsecret-file"},
		{name: "token with space", secret: sandboxSecret, overrides: map[string]string{"--token": "my token"}, field: "token", flag: "$WXAUTH_TOKEN, --token-file or --token"},
		{name: "missing token", secret: sandboxSecret, overrides: map[string]string{"--token": ""}, field: "token", flag: "$WXAUTH_TOKEN, --token-file or --token"},
		{name: "aes key", secret: sandboxSecret, overrides: map[string]string{"--aes-key": "tooshort"}, field: "EncodingAESKey", flag: "$WXAUTH_AES_KEY, --aes-key-file or --aes-key"},
		{name: "domain with scheme", secret: sandboxSecret, overrides: map[string]string{"--domain": "https://auth.example.com"}, field: "auth domain", flag: "--domain"},
		{name: "missing domain", secret: sandboxSecret, overrides: map[string]string{"--domain": ""}, field: "auth domain", flag: "--domain"},
		{name: "listen without host", secret: sandboxSecret, overrides: map[string]string{"--listen": "8765"}, field: "listen address", flag: "--listen"},
		{name: "public URL off the domain", secret: sandboxSecret, overrides: map[string]string{"--public-url": "https://other.example.com"}, field: "public URL", flag: "--public-url"},
		{name: "public URL scheme", secret: sandboxSecret, overrides: map[string]string{"--public-url": "ftp://auth.example.com"}, field: "public URL", flag: "--public-url"},
		{name: "api base", secret: sandboxSecret, overrides: map[string]string{"--api-base": "api.example.com"}, field: "API base", flag: "--api-base"},
		{name: "login base", secret: sandboxSecret, overrides: map[string]string{"--login-base": "ftp://x"}, field: "login base", flag: "--login-base"},
		{name: "mobile base", secret: sandboxSecret, overrides: map[string]string{"--mobile-base": "://"}, field: "mobile base", flag: "--mobile-base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WXAUTH_APPSECRET", tt.secret)
			db := tempDB(t)
			r := wx(t, db, "", validAdd(tt.overrides)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.err)
			}
			if !strings.Contains(r.err, "invalid "+tt.field+" ("+tt.flag+")") {
				t.Errorf("stderr does not name %s (%s):\n%s", tt.field, tt.flag, r.err)
			}
			if tt.secret != "" && strings.Contains(r.err, tt.secret) {
				t.Error("the appsecret was echoed in an error")
			}
			var list []any
			wxJSON(t, db, &list, "platform", "list")
			if len(list) != 0 {
				t.Errorf("an invalid platform was stored: %v", list)
			}
		})
	}
}

func TestPlatformAddTwice(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(nil)...)
	r := wx(t, db, "", validAdd(nil)...)
	if r.code != 1 || !strings.Contains(r.err, "already exists") {
		t.Fatalf("second add: exit %d, stderr %s", r.code, r.err)
	}
}

func TestPlatformListShowMasking(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(map[string]string{"--listen": "127.0.0.1:9999"})...)
	secrets := []string{sandboxSecret, sandboxToken, sandboxAESKey}
	tests := []struct {
		args   []string
		reveal bool
	}{
		{args: []string{"platform", "list"}},
		{args: []string{"platform", "list", "--json"}},
		{args: []string{"platform", "show"}},
		{args: []string{"platform", "show", sandboxAppID}},
		{args: []string{"platform", "show", "--json"}},
		{args: []string{"--platform", sandboxAppID, "platform", "show"}},
		{args: []string{"platform", "show", "--reveal"}, reveal: true},
		{args: []string{"platform", "show", "--reveal", "--json"}, reveal: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := wxOK(t, db, tt.args...)
			if !strings.Contains(r.out, sandboxAppID) || !strings.Contains(r.out, "127.0.0.1:9999") {
				t.Errorf("output lacks the platform:\n%s", r.out)
			}
			for _, s := range secrets {
				if got := strings.Contains(r.out, s); got != tt.reveal {
					t.Errorf("secret %.6s… shown=%v, want %v:\n%s", s, got, tt.reveal, r.out)
				}
			}
			if !tt.reveal && slices.Contains(tt.args, "show") && !strings.Contains(r.out, "7c1e9a…(32 chars)") {
				t.Errorf("masked appsecret missing:\n%s", r.out)
			}
		})
	}
	var p map[string]any
	wxJSON(t, db, &p, "platform", "show")
	for _, k := range []string{"component_appid", "appsecret", "token", "encoding_aes_key", "auth_domain", "public_url", "event_url", "listen_addr", "created_at"} {
		if _, ok := p[k]; !ok {
			t.Errorf("platform show --json lacks %q", k)
		}
	}
	if p["event_url"] != "https://auth.example.com/wechat/events" {
		t.Errorf("event_url %v", p["event_url"])
	}
}

func TestPlatformRemove(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(nil)...)
	if r := wx(t, db, "", "platform", "remove"); r.code != 2 {
		t.Errorf("remove without appid: exit %d, want 2", r.code)
	}
	if r := wx(t, db, "", "platform", "remove", "wx0000000000000000"); r.code != 3 || !strings.Contains(r.err, "platform list") {
		t.Errorf("remove of an unknown platform: exit %d, stderr %s", r.code, r.err)
	}
	wxOK(t, db, "platform", "remove", sandboxAppID, "--yes")
	r := wxOK(t, db, "platform", "list", "--json")
	var list []any
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) != 0 {
		t.Errorf("after remove: %s (%v)", r.out, err)
	}
	if r := wx(t, db, "", "platform", "show"); r.code != 3 || !strings.Contains(r.err, "platform add") {
		t.Errorf("show with none configured: exit %d, stderr %s", r.code, r.err)
	}
}

// TestPlatformAddPrompts: on a terminal, missing values are prompted for; the Token, the
// EncodingAESKey and the AppSecret are read with echo off, so they never appear on screen.
func TestPlatformAddPrompts(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", "")
	master, slave := openPTY(t)
	var screen syncBuffer // what the terminal shows: the echo of what is typed
	go io.Copy(&screen, master)
	db := tempDB(t)
	add := startWXOn(t, db, slave, "platform", "add", "--listen", "127.0.0.1:9999")
	answers := []struct {
		prompt, value string
		hidden        bool
	}{
		{"AppID (开发资料): ", sandboxAppID, false},
		{"Token (消息校验Token): ", sandboxToken, true},
		{"EncodingAESKey (消息加解密Key): ", sandboxAESKey, true},
		{"授权发起页域名 (host, e.g. auth.example.com): ", "auth.example.com", false},
		{"AppSecret (开发资料, input hidden): ", sandboxSecret, true},
	}
	for _, a := range answers {
		waitFor(t, 5*time.Second, "the prompt "+a.prompt, func() bool {
			return strings.HasSuffix(add.err.String(), a.prompt) && (!a.hidden || echoOff(t, slave))
		})
		if _, err := master.WriteString(a.value + "\n"); err != nil {
			t.Fatal(err)
		}
		if !a.hidden {
			waitFor(t, 5*time.Second, "the echo of "+a.value, func() bool { return strings.Contains(screen.String(), a.value) })
		}
	}
	if code := add.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("platform add on a terminal: exit %d\nstderr: %s", code, add.err.String())
	}
	for _, secret := range []string{sandboxToken, sandboxAESKey, sandboxSecret} {
		if strings.Contains(screen.String()+add.out.String()+add.err.String(), secret) {
			t.Errorf("secret %.6s… was shown", secret)
		}
	}
	var p map[string]any
	wxJSON(t, db, &p, "platform", "show", "--reveal")
	if p["appsecret"] != sandboxSecret || p["token"] != sandboxToken || p["encoding_aes_key"] != sandboxAESKey ||
		p["auth_domain"] != "auth.example.com" || p["listen_addr"] != "127.0.0.1:9999" {
		t.Errorf("stored platform: %v", p)
	}
}
