package tokenapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"wxauth/core/flow"
)

// writeToken answers with a credential. The body is built by hand: it is the hot path.
func writeToken(w http.ResponseWriter, c flow.Credential, now time.Time, reminted *bool) {
	b := make([]byte, 0, 320)
	b = append(b, `{"token":`...)
	b = appendJSONString(b, c.Token)
	b = append(b, `,"expires_at":`...)
	b = appendJSONString(b, c.ExpiresAt.UTC().Format(time.RFC3339))
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, max(int64(c.ExpiresAt.Sub(now)/time.Second), 0), 10)
	if !c.IsComponent() {
		b = append(b, `,"authorizer_appid":`...)
		b = appendJSONString(b, c.AuthorizerAppID)
	}
	b = append(b, `,"component_appid":`...)
	b = appendJSONString(b, c.ComponentAppID)
	if reminted != nil {
		b = append(b, `,"reminted":`...)
		b = strconv.AppendBool(b, *reminted)
	}
	b = append(b, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// apiError is the body of every error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Remedy  string `json:"remedy,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg, remedy string) {
	var e apiError
	e.Error.Code, e.Error.Message, e.Error.Remedy = code, msg, remedy
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sortViews(vs []authorizerView) {
	slices.SortFunc(vs, func(a, b authorizerView) int {
		if c := strings.Compare(a.ComponentAppID, b.ComponentAppID); c != 0 {
			return c
		}
		return strings.Compare(a.AuthorizerAppID, b.AuthorizerAppID)
	})
}

// appendJSONString appends s as a JSON string: tokens and appids are plain ASCII, copied as they
// are; quotes, backslashes and control characters are escaped (strconv.AppendQuote's \x escapes
// are not JSON, and it is several times slower on long tokens).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
