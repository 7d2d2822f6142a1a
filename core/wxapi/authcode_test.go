package wxapi_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"wxauth/core/wxapi"
)

const (
	codeTail = "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA_2O76UMFxFkM_R5Kjp1vRt-1fjORS_6ilI8ihN5KXSc7Tvo"
	code     = "queryauthcode@@@" + codeTail
	codeEnc  = "queryauthcode%40%40%40" + codeTail
)

func TestParseAuthCodeAccepts(t *testing.T) {
	cases := []struct {
		name, input string
		want        wxapi.AuthCode
	}{
		{"redirect URL", "https://auth.example.com/wechat/auth/callback?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"redirect URL, code percent-encoded", "https://auth.example.com/cb?auth_code=" + codeEnc + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"expires_in first", "https://auth.example.com/cb?expires_in=3600&auth_code=" + code, wxapi.AuthCode{code, 3600}},
		{"query before the fragment (hash router)", "https://auth.example.com/?auth_code=" + code + "&expires_in=3600#/", wxapi.AuthCode{code, 3600}},
		{"query inside the fragment", "https://auth.example.com/#/cb?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"fragment root with query", "https://auth.example.com/#/?auth_code=" + code, wxapi.AuthCode{code, 0}},
		{"fragment as a query", "https://auth.example.com/cb#auth_code=" + code + "&expires_in=600", wxapi.AuthCode{code, 600}},
		{"redirect_uri with its own query", "https://auth.example.com/auth/back/42?session=s1&auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"appended with a second ?", "https://auth.example.com/auth/back?session=s1?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"next to pre_auth_code", "https://auth.example.com/cb?pre_auth_code=preauthcode@@@xyz&auth_code=" + code, wxapi.AuthCode{code, 0}},
		{"no scheme", "auth.example.com/cb?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"path only", "/wechat/auth/callback?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"bare query", "auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"bare query with ?", "?auth_code=" + code + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"bare code", code, wxapi.AuthCode{code, 0}},
		{"bare code percent-encoded", codeEnc, wxapi.AuthCode{code, 0}},
		{"bare code, whitespace and quotes", " \t\"" + code + "\"\n", wxapi.AuthCode{code, 0}},
		{"curly quotes and a full stop", "“" + code + "”.", wxapi.AuthCode{code, 0}},
		{"angle brackets and &amp;", "<https://auth.example.com/cb?auth_code=" + code + "&amp;expires_in=3600>", wxapi.AuthCode{code, 3600}},
		{"JSON-escaped", `https:\/\/auth.example.com\/cb?auth_code=` + code + `\u0026expires_in=3600`, wxapi.AuthCode{code, 3600}},
		{"wrapped by the terminal", "https://auth.example.com/cb?auth_code=queryauthcode@@@" + codeTail[:40] + "\n" + codeTail[40:] + "&expires_in=3600", wxapi.AuthCode{code, 3600}},
		{"whole URL percent-encoded", "https%3A%2F%2Fauth.example.com%2Fcb%3Fauth_code%3D" + strings.ReplaceAll(codeEnc, "%", "%25") + "%26expires_in%3D3600", wxapi.AuthCode{code, 3600}},
		{"HTML attribute", `href="https://auth.example.com/cb?auth_code=` + code + `&expires_in=3600"`, wxapi.AuthCode{code, 3600}},
		{"authorized push", "<xml><AuthorizationCode><![CDATA[" + code + "]]></AuthorizationCode>\n<AuthorizationCodeExpiredTime>1715947000</AuthorizationCodeExpiredTime></xml>", wxapi.AuthCode{code, 0}},
		{"explicit parameter without prefix", "https://auth.example.com/cb?auth_code=" + codeTail, wxapi.AuthCode{codeTail, 0}},
		{"the simulator's test code", "auth_code=queryauthcode@@@SIMULATOR-TEST-AUTHCODE-0001", wxapi.AuthCode{"queryauthcode@@@SIMULATOR-TEST-AUTHCODE-0001", 0}},
		{"bad expires_in is unknown", "?auth_code=" + code + "&expires_in=soon", wxapi.AuthCode{code, 0}},
		{"negative expires_in is unknown", "?auth_code=" + code + "&expires_in=-5", wxapi.AuthCode{code, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wxapi.ParseAuthCode(tc.input)
			if err != nil || got != tc.want {
				t.Errorf("ParseAuthCode(%q) = %+v, %v; want %+v", tc.input, got, err, tc.want)
			}
		})
	}
}

func TestParseAuthCodeRejects(t *testing.T) {
	launch := "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wx134c8103faa5a59e&pre_auth_code=preauthcode%40%40%40Cx_Dk6qiBE0Dmx4E&redirect_uri=https%3A%2F%2Fauth.example.com%2Fcb&auth_type=3"
	cases := []struct {
		name, input string
		want        error
		inText      string
	}{
		{"empty", "", wxapi.ErrEmptyInput, "nothing was pasted"},
		{"only whitespace and quotes", "  \"\"\n ", wxapi.ErrEmptyInput, ""},
		{"URL without auth_code", "https://auth.example.com/cb?expires_in=3600", wxapi.ErrNoAuthCode,
			"this URL has no auth_code: did you copy the launch page URL instead of the address after approving?"},
		{"the launch link itself", launch, wxapi.ErrNoAuthCode, "it is the authorization link itself"},
		{"the launch page of the listener", "http://127.0.0.1:8765/wechat/auth/start?session=abc", wxapi.ErrNoAuthCode, ""},
		{"pre_auth_code pasted", testPreAuth, wxapi.ErrPreAuthCode, "61009"},
		{"pre_auth_code as auth_code", "https://auth.example.com/cb?auth_code=" + testPreAuth, wxapi.ErrPreAuthCode, "queryauthcode@@@"},
		{"a ticket", "ticket@@@SIMULATOR-TEST-VECTOR-0001", wxapi.ErrNotAuthCode, "component_verify_ticket"},
		{"a refresh token", "refreshtoken@@@HDIjlj4Zywh_ZF8TT_LPqQOzulFPLMVbF9sczyNuHcY", wxapi.ErrNotAuthCode, "refresh token"},
		{"prose", "hello world", wxapi.ErrNotAuthCode, "codes start with queryauthcode@@@"},
		{"random part only", codeTail, wxapi.ErrNotAuthCode, "codes start with queryauthcode@@@"},
		{"empty auth_code", "https://auth.example.com/cb?auth_code=&expires_in=3600", wxapi.ErrNotAuthCode, "empty"},
		{"cut off", "queryauthcode@@@PtYg", wxapi.ErrNotAuthCode, "cut off"},
		{"plus sign", "?auth_code=queryauthcode@@@abc+defghijk", wxapi.ErrNotAuthCode, `'+'`},
		{"encoded plus sign", "?auth_code=queryauthcode@@@abc%2Bdefghijk", wxapi.ErrNotAuthCode, `'+'`},
		{"slash", "?auth_code=queryauthcode@@@abc/defghijk", wxapi.ErrNotAuthCode, `'/'`},
		{"bad escape", "?auth_code=queryauthcode@@@abcdefghijk%zz", wxapi.ErrNotAuthCode, `'%'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wxapi.ParseAuthCode(tc.input)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseAuthCode(%q) = %+v, %v; want %v", tc.input, got, err, tc.want)
			}
			if got != (wxapi.AuthCode{}) {
				t.Errorf("failed parse returned %+v", got)
			}
			if !strings.Contains(err.Error(), tc.inText) {
				t.Errorf("error %q does not contain %q", err, tc.inText)
			}
		})
	}
}

// authCodeSeeds reads testdata/authcode/urls.txt: one input per line, # comments.
func authCodeSeeds(t testing.TB) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "authcode", "urls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var seeds []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			seeds = append(seeds, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return seeds
}

func FuzzParseAuthCode(f *testing.F) {
	for _, s := range authCodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		got, err := wxapi.ParseAuthCode(input)
		if err != nil {
			if got != (wxapi.AuthCode{}) {
				t.Fatalf("error %v with a value %+v", err, got)
			}
			for _, sentinel := range []error{wxapi.ErrEmptyInput, wxapi.ErrNoAuthCode, wxapi.ErrPreAuthCode, wxapi.ErrNotAuthCode} {
				if errors.Is(err, sentinel) {
					return
				}
			}
			t.Fatalf("error %v wraps none of the sentinel errors", err)
		}
		if got.ExpiresIn < 0 || len(got.Code) < 8 || strings.HasPrefix(got.Code, wxapi.PreAuthCodePrefix) {
			t.Fatalf("implausible result %+v", got)
		}
		if i := strings.IndexFunc(got.Code, func(r rune) bool {
			return unicode.IsSpace(r) || !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_@", r)))
		}); i >= 0 {
			t.Fatalf("code %q has character %q", got.Code, got.Code[i])
		}
		// A prefixed code is itself a valid paste, and parses to itself.
		if strings.HasPrefix(got.Code, wxapi.AuthCodePrefix) {
			again, err := wxapi.ParseAuthCode(got.Code)
			if err != nil || again.Code != got.Code {
				t.Fatalf("re-parsing %q gave %+v, %v", got.Code, again, err)
			}
		}
	})
}

func TestAuthCodeSeedsParse(t *testing.T) {
	// The seed file mixes valid and invalid pastes; every valid one must yield the same code.
	var ok int
	for _, s := range authCodeSeeds(t) {
		if got, err := wxapi.ParseAuthCode(s); err == nil {
			ok++
			if got.Code != code {
				t.Errorf("seed %q parsed to %q", s, got.Code)
			}
		}
	}
	if ok < 12 {
		t.Errorf("only %d seeds parse; the file should keep at least 12 valid forms", ok)
	}
}

func BenchmarkParseAuthCode(b *testing.B) {
	input := "  https://auth.example.com/?auth_code=" + codeEnc + "&expires_in=3600#/  "
	for b.Loop() {
		if _, err := wxapi.ParseAuthCode(input); err != nil {
			b.Fatal(err)
		}
	}
}
