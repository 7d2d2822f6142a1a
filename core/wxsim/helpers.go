package wxsim

import (
	"sort"
	"strings"
	"time"
)

// seconds renders a duration as the whole seconds of an expires_in.
func seconds(d time.Duration) int { return int(d / time.Second) }

// clip shortens s for an error message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// sortedKeys lists a map's keys in order, for stable messages and output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Mask shows the first 4 characters of a secret followed by "…", for summaries and logs.
func Mask(secret string) string {
	r := []rune(secret)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + "…"
}
