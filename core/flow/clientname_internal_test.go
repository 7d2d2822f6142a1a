package flow

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidClientName holds the loop to the rule it replaced, the regexp
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, on edge cases and on every short name over a small alphabet.
func TestValidClientName(t *testing.T) {
	rule := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	names := []string{"", "a", "svc", "order-service", "a.b_c-d", "-a", ".a", "_a", "a b", "a/b", "é", "a\n",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "Z9", "9Z", "a+b"}
	alphabet := []string{"a", "Z", "0", ".", "_", "-", "+", " ", "é"}
	for _, x := range alphabet {
		for _, y := range alphabet {
			for _, z := range alphabet {
				names = append(names, x+y+z)
			}
		}
	}
	for _, n := range names {
		if got, want := validClientName(n), rule.MatchString(n); got != want {
			t.Errorf("validClientName(%q) = %v, the rule says %v", n, got, want)
		}
	}
}
