package tokenapi

import (
	"encoding/json"
	"testing"
)

// TestAppendJSONString: the hand-built token body is valid JSON for any string.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "abc_DEF-123", `quo"te`, `back\\slash`, "ctl\x00\x1f\n", "中控", "\x7f"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil || got != s {
			t.Errorf("%q: %q, %v", s, got, err)
		}
	}
}
