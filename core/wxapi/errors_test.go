package wxapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
)

// catalogued lists every code reference §5 names, plus 40014; Explain must know each.
var catalogued = []int{-1, 0, 40001, 40013, 40014, 40125, 40164, 41001, 41004, 42001, 45009, 47001, 48001, 48006,
	61003, 61004, 61005, 61006, 61007, 61009, 61010, 61011, 61012, 61013, 61023, 61024, 61025, 61028,
	76001, 76002, 76003, 76021}

func TestExplainCatalogue(t *testing.T) {
	for _, code := range catalogued {
		info := wxapi.Explain(code)
		if info.Code != code || info.Name == "" || info.Meaning == "" || info.Remedy == "" {
			t.Errorf("Explain(%d) = %+v", code, info)
		}
		if strings.Contains(info.Meaning, "not in wxauth's catalogue") {
			t.Errorf("Explain(%d) falls back to the generic text", code)
		}
		if wantRetry := code == -1; info.Retryable != wantRetry {
			t.Errorf("Explain(%d).Retryable = %v", code, info.Retryable)
		}
		if wantInvalid := code == 40001 || code == 40014 || code == 42001; info.TokenInvalid != wantInvalid {
			t.Errorf("Explain(%d).TokenInvalid = %v", code, info.TokenInvalid)
		}
	}
	unknown := wxapi.Explain(89503)
	if unknown.Code != 89503 || !strings.Contains(unknown.Remedy, wxapi.DiagnosisURL) || unknown.Retryable || unknown.TokenInvalid {
		t.Errorf("Explain(89503) = %+v", unknown)
	}
}

// decodeErr runs an error body through DecodeResponse and returns the *Error.
func decodeErr(t *testing.T, api, body string) *wxapi.Error {
	t.Helper()
	err := wxapi.DecodeResponse(api, []byte(body), nil)
	var we *wxapi.Error
	if !errors.As(err, &we) {
		t.Fatalf("DecodeResponse(%s) = %v, want *Error", body, err)
	}
	return we
}

func TestErrmsgParsing(t *testing.T) {
	cases := []struct {
		errmsg           string
		rid, ip, message string
	}{
		{"refresh_token is invalid rid: 616ce9c1-375b9993-0843170d", "616ce9c1-375b9993-0843170d", "", "refresh_token is invalid"},
		{"access clientip is not registered requestIP: 203.0.113.7 rid: 617682e0-6126f6f9-040f19c4", "617682e0-6126f6f9-040f19c4", "203.0.113.7",
			"access clientip is not registered requestIP: 203.0.113.7"},
		{"access clientip is not registered requestIP: 2001:db8::7 rid: 617682e0-6126f6f9-040f19c4", "617682e0-6126f6f9-040f19c4", "2001:db8::7",
			"access clientip is not registered requestIP: 2001:db8::7"},
		{"invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist rid: 6176843a-1d4f2c61-5e2f0b9d", "6176843a-1d4f2c61-5e2f0b9d", "198.51.100.23",
			"invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist"},
		{"invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist, rid: 6176843a-1d4f2c61-5e2f0b9d", "6176843a-1d4f2c61-5e2f0b9d", "198.51.100.23",
			"invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist"},
		{"component ticket is expired hint: [xMkgA0846vr19]", "xMkgA0846vr19", "", "component ticket is expired"},
		{"system error hints: [FhG1a05058sh15]", "FhG1a05058sh15", "", "system error"},
		{"invalid ip not.an.ip, not in whitelist", "", "", "invalid ip not.an.ip, not in whitelist"},
		{"", "", "", ""},
	}
	for _, tc := range cases {
		body := fmt.Sprintf(`{"errcode":61004,"errmsg":%q}`, tc.errmsg)
		e := decodeErr(t, "api_query_auth", body)
		if e.Rid != tc.rid || e.RequestIP != tc.ip || e.Message() != tc.message || e.ErrMsg != tc.errmsg {
			t.Errorf("errmsg %q: rid %q ip %q message %q", tc.errmsg, e.Rid, e.RequestIP, e.Message())
		}
	}
}

func TestRemedyNamesTheIP(t *testing.T) {
	for _, tc := range []struct{ body, ip, where string }{
		{`{"errcode":61004,"errmsg":"access clientip is not registered requestIP: 203.0.113.7 rid: 617682e0-6126f6f9-040f19c4"}`, "203.0.113.7", "白名单IP地址列表"},
		{`{"errcode":40164,"errmsg":"invalid ip 198.51.100.23 ipv6 ::ffff:198.51.100.23, not in whitelist rid: 6176843a-1d4f2c61-5e2f0b9d"}`, "198.51.100.23", "IP白名单"},
	} {
		info := decodeErr(t, "api_component_token", tc.body).Info()
		if !strings.Contains(info.Remedy, "Add "+tc.ip+" to") || !strings.Contains(info.Remedy, tc.where) {
			t.Errorf("remedy %q should tell to add %s to %s", info.Remedy, tc.ip, tc.where)
		}
	}
	// Without an IP in errmsg the placeholder must not leak into the text.
	info := decodeErr(t, "api_component_token", `{"errcode":61004,"errmsg":"access clientip is not registered"}`).Info()
	if strings.Contains(info.Remedy, "{ip}") || !strings.Contains(info.Remedy, "calling IP") {
		t.Errorf("remedy without IP = %q", info.Remedy)
	}
}

func TestErrorText(t *testing.T) {
	e := decodeErr(t, "api_authorizer_token", string(fixture(t, "err_61023.json")))
	want := "api_authorizer_token: 61023 refresh_token is invalid (rid 616ce9c1-375b9993-0843170d): " +
		"the authorizer refresh token is wrong, empty or stale (the merchant re-authorized or cancelled). " +
		"Reload the refresh token from api_get_authorizer_list; if it is missing there, the merchant must authorize again."
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
	// An unknown code without a rid still reads well and points to the diagnosis tool.
	e = decodeErr(t, "api_query_auth", `{"errcode":89503,"errmsg":"need confirm"}`)
	if got := e.Error(); !strings.HasPrefix(got, "api_query_auth: 89503 need confirm: errcode 89503 is not in wxauth's catalogue. Look the rid up") {
		t.Errorf("Error() = %q", got)
	}
	if wrapped := fmt.Errorf("refreshing: %w", e); wxapi.ErrCode(wrapped) != 89503 {
		t.Errorf("ErrCode through %%w = %d", wxapi.ErrCode(wrapped))
	}
	if wxapi.ErrCode(errors.New("plain")) != 0 || wxapi.IsRetryable(errors.New("plain")) || wxapi.IsTokenInvalid(nil) {
		t.Error("plain errors classified as WeChat errors")
	}
}

func TestRidTime(t *testing.T) {
	for _, tc := range []struct {
		rid  string
		want time.Time
		ok   bool
	}{
		// Reference §0: 616ce9c1 is 2021-10-18 03:28:01 UTC, the poster's 11:28:01 CST.
		{"616ce9c1-375b9993-0843170d", time.Date(2021, 10, 18, 3, 28, 1, 0, time.UTC), true},
		{"617682e0-6126f6f9-040f19c4", time.Unix(1635156704, 0).UTC(), true},
		{"xMkgA0846vr19", time.Time{}, false},
		{"", time.Time{}, false},
		{"zzzzzzzz-375b9993-0843170d", time.Time{}, false},
	} {
		got, ok := (&wxapi.Error{Rid: tc.rid}).RidTime()
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("RidTime(%q) = %v, %v", tc.rid, got, ok)
		}
	}
}
