package wxapi_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"wxauth/core/wxapi"
)

// responseTypes are fresh values of every response type the client decodes into.
func responseTypes() []any {
	return []any{
		nil, &wxapi.Status{}, &wxapi.ComponentToken{}, &wxapi.PreAuthCode{}, &wxapi.QueryAuth{}, &wxapi.AuthorizerToken{},
		&wxapi.AuthorizerInfoResponse{}, &wxapi.AuthorizerList{}, &wxapi.AuthorizerOption{}, &wxapi.Quota{},
		&wxapi.RidInfo{}, &wxapi.AccountBasicInfo{},
	}
}

func FuzzDecodeResponse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "wxapi", "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2]) // truncated
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, out := range responseTypes() {
			err := wxapi.DecodeResponse("api_fuzz", body, out)
			if err == nil {
				// Success is only possible for a JSON object; anything else must be an error,
				// never a zero value.
				if !json.Valid(body) {
					t.Fatalf("%T: accepted non-JSON %q", out, body)
				}
				continue
			}
			var (
				we *wxapi.Error
				de *wxapi.DecodeError
			)
			switch {
			case errors.As(err, &we):
				if we.ErrCode == 0 || we.API != "api_fuzz" {
					t.Fatalf("%T: *Error %+v", out, we)
				}
				_ = we.Info()
			case errors.As(err, &de):
				if de.Reason == "" || de.API != "api_fuzz" {
					t.Fatalf("%T: *DecodeError %+v", out, de)
				}
			default:
				t.Fatalf("%T: error %T %v is neither *Error nor *DecodeError", out, err, err)
			}
			if err.Error() == "" {
				t.Fatalf("%T: empty error text", out)
			}
		}
	})
}

func TestDecodeResponseFixtures(t *testing.T) {
	// Every success fixture decodes into its type; every err_ fixture is an *Error for any type.
	cases := []struct {
		file string
		out  any
	}{
		{"component_token.json", &wxapi.ComponentToken{}},
		{"create_preauthcode.json", &wxapi.PreAuthCode{}},
		{"query_auth.json", &wxapi.QueryAuth{}},
		{"query_auth_miniprogram.json", &wxapi.QueryAuth{}},
		{"authorizer_token.json", &wxapi.AuthorizerToken{}},
		{"authorizer_info_miniprogram.json", &wxapi.AuthorizerInfoResponse{}},
		{"authorizer_info_official_account.json", &wxapi.AuthorizerInfoResponse{}},
		{"authorizer_list.json", &wxapi.AuthorizerList{}},
		{"authorizer_option.json", &wxapi.AuthorizerOption{}},
		{"ok.json", &wxapi.Status{}},
		{"start_push_ticket_normal.json", &wxapi.Status{}},
		{"quota.json", &wxapi.Quota{}},
		{"rid.json", &wxapi.RidInfo{}},
		{"account_basic_info.json", &wxapi.AccountBasicInfo{}},
	}
	for _, tc := range cases {
		if err := wxapi.DecodeResponse("api", fixture(t, tc.file), tc.out); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
	errFiles, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "wxapi", "err_*.json"))
	if len(errFiles) < 5 {
		t.Fatalf("only %d err_ fixtures", len(errFiles))
	}
	for _, name := range errFiles {
		b, _ := os.ReadFile(name)
		for _, out := range responseTypes() {
			if code := wxapi.ErrCode(wxapi.DecodeResponse("api", b, out)); code == 0 {
				t.Errorf("%s into %T: no errcode", filepath.Base(name), out)
			}
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	body := fixture(b, "authorizer_info_miniprogram.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var out wxapi.AuthorizerInfoResponse
		if err := wxapi.DecodeResponse("api_get_authorizer_info", body, &out); err != nil {
			b.Fatal(err)
		}
	}
}
