package wxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// World is what the simulator serves: third-party platforms, the merchant accounts that can
// authorize them, and the rules (lifetimes, quotas, push cadence). It is read from a JSON file
// (LoadWorld) or built in (DefaultWorld).
type World struct {
	Platforms []Platform `json:"platforms"`
	Accounts  []Account  `json:"accounts"`
	Settings  Settings   `json:"settings"`
	// Authorizations are accounts that authorized a platform before the simulator started,
	// through another system (a platform live for years): api_get_authorizer_list lists them.
	Authorizations []PriorAuthorization `json:"authorizations,omitempty"`
}

// PriorAuthorization is an account's standing authorization of a platform, made without wxauth.
type PriorAuthorization struct {
	ComponentAppID  string `json:"component_appid"`
	AuthorizerAppID string `json:"authorizer_appid"`
	// CategoryIDs are the permission sets granted; empty grants the account kind's defaults.
	CategoryIDs []int `json:"category_id_list,omitempty"`
	// NotExchanged: the code was never exchanged (api_query_auth), so api_get_authorizer_list
	// shows no refresh token for it. By default the other system exchanged it.
	NotExchanged bool `json:"not_exchanged,omitempty"`
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
	// MessageURL is the 消息与事件接收URL, with $APPID$ for the account; empty means the event
	// URL's scheme and host + /wechat/messages/$APPID$ (wxauth's listener).
	MessageURL string `json:"message_url,omitempty"`
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
	// Alias (an official account's WeChat id) and Signature (the account's introduction) are
	// optional; api_get_authorizer_info sends them empty when unset, as WeChat does.
	Alias     string `json:"alias,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// IsMiniProgram reports whether the account is a mini program.
func (a Account) IsMiniProgram() bool { return a.Kind == KindMiniProgram }

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

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}
