// Package publish writes the tokens wxauth keeps into the Redis keys that the WeChat SDKs read
// their tokens from (silenceper/wechat, WxJava, wechatpy, PowerWeChat), with TTLs that end before
// the tokens do, so that the applications built on them stop refreshing on their own. It
// follows the engine's token feed, writes only the platforms whose refresh lease this process
// holds, reconciles periodically and reports keys another program overwrote.
package publish

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"wxauth/core/flow"
)

// Format names an SDK's key layout.
type Format string

// The formats. Key names, values and TTLs are the SDKs' own (sources cited on each sink).
const (
	Silenceper  Format = "silenceper"
	WxJava      Format = "wxjava"
	Wechatpy    Format = "wechatpy"
	PowerWeChat Format = "powerwechat"
)

// Formats lists every format, for help and validation.
var Formats = []Format{Silenceper, WxJava, Wechatpy, PowerWeChat}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(strings.TrimSpace(s)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use one of silenceper, wxjava, wechatpy, powerwechat", s)
}

// powerWeChatTicketTTL is the TTL PowerWeChat itself gives the ticket key
// (src/openPlatform/auth/verifyTicket.go: SetTicket, 3600 s).
const powerWeChatTicketTTL = 3600 * time.Second

// CheckPrefix tells whether a key prefix makes sense for the format: only WxJava (keyPrefix)
// and wechatpy (RedisStorage prefix) have one.
func CheckPrefix(f Format, prefix string) error {
	if prefix == "" || f == WxJava || f == Wechatpy {
		return nil
	}
	return fmt.Errorf("--prefix does not apply to the %s format: its SDK's key names have no prefix (only wxjava and wechatpy have one)", f)
}

// margin is how long before the token's own expiry the SDK lets its key expire: the TTL it
// sets is expires_in minus this.
func margin(f Format, component bool) time.Duration {
	switch f {
	case Silenceper:
		// openplatform/context/accessToken.go: component `expires_in - 1500`; authorizer
		// `expires_in - 30` (its cache TTL for authorizer_access_token_*).
		if component {
			return 1500 * time.Second
		}
		return 30 * time.Second
	case WxJava:
		// WxOpenInRedisConfigStorage et al.: expireAt is expires_in - 200 s.
		return 200 * time.Second
	default:
		// wechatpy session.set(key, token, expires_in); PowerWeChat cache.Set(key, token, expires_in).
		return 0
	}
}

// entry is one key to write: its value and TTL.
type entry struct {
	Key   string
	Value string
	TTL   time.Duration
}

// layout is a sink's format and key prefix, plus the component secret PowerWeChat hashes.
type layout struct {
	format Format
	prefix string
}

// wxjavaPrefix is WxJava's {p}: keyPrefix plus ":" unless it already ends with one
// (AbstractWxOpenInRedisConfigStorage.setComponentAppId).
func (l layout) wxjavaPrefix() string {
	if l.prefix == "" || strings.HasSuffix(l.prefix, ":") {
		return l.prefix
	}
	return l.prefix + ":"
}

// wechatpyPrefix is RedisStorage's prefix, "wechatpy" by default (session/redisstorage.py).
func (l layout) wechatpyPrefix() string {
	if l.prefix == "" {
		return "wechatpy"
	}
	return l.prefix
}

// tokenKey is the key the SDK reads the credential's token from. appSecret is the component's
// AppSecret, used by PowerWeChat only.
func (l layout) tokenKey(c flow.Credential, appSecret string) string {
	comp, app := c.ComponentAppID, c.AuthorizerAppID
	switch l.format {
	case Silenceper:
		if c.IsComponent() {
			return "component_access_token_" + comp
		}
		return "authorizer_access_token_" + app
	case WxJava:
		if c.IsComponent() {
			return l.wxjavaPrefix() + "wechat_component_access_token:" + comp
		}
		return l.wxjavaPrefix() + "wechat_authorizer_access_token:" + comp + ":" + app
	case Wechatpy:
		// component.py: session.set(f"{component_appid}_component_access_token") (since
		// wechatpy#679) and f"{authorizer_appid}_access_token"; RedisStorage.key_name is
		// "{prefix}:{key}".
		if c.IsComponent() {
			return l.wechatpyPrefix() + ":" + comp + "_component_access_token"
		}
		return l.wechatpyPrefix() + ":" + app + "_access_token"
	default:
		// PowerWeChat kernel/accessToken.go GetCacheKey: CachePrefix + md5(appid + secret +
		// neededText). Component (openPlatform/auth/accessToken.go): appid = component appid,
		// secret = its AppSecret, neededText = the current ticket. Authorizer
		// (openPlatform/authorizer/auth/accessToken.go): appid = component appid, secret = the
		// authorizer's refresh token, neededText = the authorizer appid.
		data := comp + appSecret + c.Ticket
		if !c.IsComponent() {
			data = comp + c.RefreshToken + app
		}
		sum := md5.Sum([]byte(data))
		return "powerwechat.access_token." + hex.EncodeToString(sum[:])
	}
}

// ticketKey is PowerWeChat's verify-ticket key (openPlatform/auth/verifyTicket.go getCacheKey).
func ticketKey(componentAppID string) string {
	return "powerwechat.open_platform.verify_ticket." + componentAppID
}

// entries are the keys to write for a usable credential at now: none when its remaining life
// is shorter than the SDK's margin plus one second (the key would outlive nothing useful).
// The TTL is whole seconds, rounded down, so the key never outlives the token minus the margin.
func (l layout) entries(c flow.Credential, appSecret string, now time.Time) []entry {
	ttl := c.ExpiresAt.Add(-margin(l.format, c.IsComponent())).Sub(now).Truncate(time.Second)
	if ttl < time.Second {
		return nil
	}
	key := l.tokenKey(c, appSecret)
	var value string
	switch l.format {
	case Silenceper, WxJava:
		value = c.Token // raw string: go-redis SetEX / Jedis setex / StringRedisTemplate
	case Wechatpy:
		value = jsonString(c.Token) // RedisStorage.set: json.dumps(value)
	default:
		// PowerLibs cache/redis.go Set: json.Marshal of the token response; the reader
		// (kernel GetToken) asserts token["expires_in"].(float64) and reads token[TokenKey].
		name := "authorizer_access_token"
		if c.IsComponent() {
			name = "component_access_token"
		}
		value = jsonObject(name, c.Token, int64(ttl/time.Second))
	}
	out := []entry{{Key: key, Value: value, TTL: ttl}}
	if l.format == PowerWeChat && c.IsComponent() {
		if c.Ticket == "" {
			return nil // the SDK could not derive the key without the ticket
		}
		// Written after the token key: an SDK that sees the new ticket finds the new key.
		out = append(out, entry{Key: ticketKey(c.ComponentAppID), Value: jsonString(c.Ticket), TTL: powerWeChatTicketTTL})
	}
	return out
}

// tokenOf extracts the token from a value as the SDK would read it; ok is false when the SDK
// could not read it at all.
func (l layout) tokenOf(value string, component bool) (string, bool) {
	switch l.format {
	case Silenceper, WxJava:
		return value, value != ""
	case Wechatpy:
		var s string
		err := json.Unmarshal([]byte(value), &s)
		return s, err == nil && s != ""
	default:
		var m map[string]any
		if err := json.Unmarshal([]byte(value), &m); err != nil {
			return "", false
		}
		name := "authorizer_access_token"
		if component {
			name = "component_access_token"
		}
		tok, ok := m[name].(string)
		_, numeric := m["expires_in"].(float64)
		return tok, ok && numeric && tok != ""
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

func jsonObject(name, token string, expiresIn int64) string {
	return fmt.Sprintf(`{%s:%s,"expires_in":%d}`, jsonString(name), jsonString(token), expiresIn)
}
