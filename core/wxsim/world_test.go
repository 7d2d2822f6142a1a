package wxsim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxsim"
)

const worldsDir = "../../testdata/worlds"

func TestDefaultWorldIsRealistic(t *testing.T) {
	w := wxsim.DefaultWorld()
	if err := w.Validate(); err != nil {
		t.Fatalf("DefaultWorld does not validate: %v", err)
	}
	if len(w.Platforms) != 1 {
		t.Fatalf("platforms = %d, want 1", len(w.Platforms))
	}
	p := w.Platforms[0]
	checks := []struct {
		name, value, re string
	}{
		{"component_appid", p.ComponentAppID, `^wx[0-9a-f]{16}$`},
		{"component_appsecret", p.ComponentAppSecret, `^[0-9a-f]{32}$`},
		{"token", p.Token, `^[A-Za-z0-9]{3,32}$`},
		{"encoding_aes_key", p.EncodingAESKey, `^[A-Za-z0-9]{43}$`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(c.re).MatchString(c.value) {
			t.Errorf("%s = %q, want %s", c.name, c.value, c.re)
		}
	}
	var mp, oa int
	han := regexp.MustCompile(`\p{Han}`)
	for _, a := range w.Accounts {
		if !regexp.MustCompile(`^gh_[0-9a-f]{12}$`).MatchString(a.UserName) {
			t.Errorf("user_name %q is not a gh_ id", a.UserName)
		}
		if !han.MatchString(a.NickName) || !han.MatchString(a.PrincipalName) {
			t.Errorf("account %s: nick/principal names should be Chinese: %q %q", a.AppID, a.NickName, a.PrincipalName)
		}
		switch a.Kind {
		case wxsim.KindMiniProgram:
			mp++
		case wxsim.KindOfficialAccount:
			oa++
		}
	}
	if mp < 3 || oa < 1 {
		t.Errorf("mini programs = %d, official accounts = %d; want ≥3 and ≥1", mp, oa)
	}
}

// The sandbox file is what `wxauth sim --print-world` prints: it must stay in step.
func TestSandboxFileIsDefaultWorld(t *testing.T) {
	w, err := wxsim.LoadWorld(filepath.Join(worldsDir, "sandbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, wxsim.DefaultWorld()) {
		t.Errorf("testdata/worlds/sandbox.json differs from DefaultWorld(); regenerate it with `wxauth sim --print-world`")
	}
}

func TestLoadWorldFillsDefaults(t *testing.T) {
	w, err := wxsim.LoadWorld(filepath.Join(worldsDir, "minimal.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := w.Settings
	if s.PushInterval.D() != 10*time.Minute || s.TicketRepeats != 2 || s.TicketTTL.D() != 12*time.Hour ||
		s.ComponentTokenTTL.D() != 2*time.Hour || s.PreAuthCodeTTL.D() != 1800*time.Second ||
		s.AuthCodeTTL.D() != 3600*time.Second || s.ComponentTokenOverlap.D() != 5*time.Minute ||
		s.ClearQuotaPerMonth != 10 || !*s.StrictReferer || s.DailyQuota["api_component_token"] != 10000 {
		t.Errorf("defaults not filled in: %+v", s)
	}

	w, err = wxsim.LoadWorld(filepath.Join(worldsDir, "two-platforms.json"))
	if err != nil {
		t.Fatal(err)
	}
	s = w.Settings
	if s.PushInterval.D() != time.Minute || s.TicketRepeats != 6 || s.PreAuthCodeTTL.D() != 10*time.Minute ||
		*s.StrictReferer || s.ClearQuotaPerMonth != 3 {
		t.Errorf("settings not read: %+v", s)
	}
	if s.DailyQuota["api_component_token"] != 2000 || s.DailyQuota["api_authorizer_token"] != 500 || s.DailyQuota["api_query_auth"] != 100000 {
		t.Errorf("daily_quota = %v: overrides must merge into the defaults", s.DailyQuota)
	}
}

func TestLoadWorldRejectsBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"short-aes-key.json", []string{"platforms[0].encoding_aes_key: must be 43 characters [A-Za-z0-9], got 12"}},
		{"bad-appid.json", []string{"platforms[0].component_appid", "wx followed by 16"}},
		{"bad-kind.json", []string{"accounts[0].kind", `"channels"`}},
		{"bad-duration.json", []string{"settings.push_interval", `"ten minutes"`}},
		{"unknown-field.json", []string{`unknown field "eventurl"`}},
		{"syntax.json", []string{"line 2", "invalid JSON"}},
		{"bad-auth-domain.json", []string{"platforms[0].auth_domain", "without scheme or path"}},
		{"bad-quota.json", []string{"settings.daily_quota.api_unknown", "unknown API"}},
		{"bad-whitelist.json", []string{"platforms[0].ip_whitelist[0]", "10.0.0.300"}},
		{"no-platforms.json", []string{"platforms: at least one platform"}},
		{"dup-appid.json", []string{"accounts[0].appid", "already used by platforms[0].component_appid"}},
		{"bad-settings-type.json", []string{"settings.ticket_repeats", "must be a JSON number"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(worldsDir, "bad", tt.file)
			_, err := wxsim.LoadWorld(path)
			if err == nil {
				t.Fatal("LoadWorld succeeded on a bad world")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := wxsim.LoadWorld(filepath.Join(worldsDir, "does-not-exist.json")); err == nil {
		t.Error("LoadWorld of a missing file succeeded")
	}
}

func TestWorldJSONRoundTrip(t *testing.T) {
	w := wxsim.DefaultWorld()
	w.Settings.PushInterval = wxsim.Duration(90 * time.Second)
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"push_interval":"1m30s"`) {
		t.Errorf("durations must marshal as Go duration strings: %s", data)
	}
	back, err := wxsim.ParseWorld(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, w) {
		t.Errorf("round trip changed the world:\n got %+v\nwant %+v", back, w)
	}
}

func TestNewRejectsInvalidWorld(t *testing.T) {
	w := wxsim.DefaultWorld()
	w.Platforms[0].Token = "x"
	if _, err := wxsim.New(w, wxsim.Options{}); err == nil || !strings.Contains(err.Error(), "platforms[0].token") {
		t.Errorf("New with a 1-character token: err = %v", err)
	}
	if _, err := wxsim.New(wxsim.DefaultWorld(), wxsim.Options{Speed: -1}); err == nil {
		t.Error("New accepted a negative speed")
	}
}

// FuzzLoadWorld feeds arbitrary bytes to the world parser: it must never panic, and whatever it
// accepts must be a valid world that a simulator can be built from.
func FuzzLoadWorld(f *testing.F) {
	for _, pattern := range []string{"*.json", "bad/*.json"} {
		files, err := filepath.Glob(filepath.Join(worldsDir, pattern))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := wxsim.ParseWorld(data)
		if err != nil {
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("ParseWorld accepted a world that does not validate: %v", err)
		}
		if _, err := wxsim.New(w, wxsim.Options{}); err != nil {
			t.Fatalf("New rejected a parsed world: %v", err)
		}
	})
}
