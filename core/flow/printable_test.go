package flow_test

import (
	"encoding/json"
	"testing"

	"wxauth/core/flow"
)

func TestPrintable(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain", "component_verify_ticket received", "component_verify_ticket received"},
		{"chinese stays", "拾光咖啡点单 授权", "拾光咖啡点单 授权"},
		{"emoji stays", "ok ✓ 👍🏽", "ok ✓ 👍🏽"},
		{"title and forged line", "wx\x1b]0;pwned\x07\r[fake] renewed", `wx\x1b]0;pwned\a\r[fake] renewed`},
		{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"newline and tab", "a\nb\tc", `a\nb\tc`},
		{"DEL", "a\x7fb", `a\u007fb`},
		{"C1 CSI", "a\u009b31mb", `a\u009b31mb`},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8", "a\xff\xc3b", `a\xff\xc3b`},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := flow.Printable(tc.in); got != tc.want {
				t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPrintableLinesKeepsLineBreaks(t *testing.T) {
	in := "no ticket\x1b[31m yet\n  what to do: run\r it"
	want := "no ticket\\x1b[31m yet\n  what to do: run\\r it"
	if got := flow.PrintableLines(in); got != want {
		t.Errorf("PrintableLines = %q, want %q", got, want)
	}
}

// Escaping JSON text (what serve --json writes) leaves it valid JSON holding visible escapes.
func TestPrintableKeepsJSONValid(t *testing.T) {
	b, err := json.Marshal(map[string]string{"m": "a\x1b\x7f\u009b\u202eb"})
	if err != nil {
		t.Fatal(err)
	}
	out := flow.Printable(string(b))
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	for _, r := range out {
		if r == 0x1b || r == 0x7f || r == 0x9b || r == 0x202e {
			t.Fatalf("raw %U left in %q", r, out)
		}
	}
}
