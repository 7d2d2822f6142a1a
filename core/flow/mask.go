package flow

import (
	"fmt"
	"strings"
)

// Mask hides a secret for display: enough of its start to recognise it, and its length.
// Secrets are shown whole only when the user asks (reveal, copy, export).
func Mask(secret string) string {
	switch n := len(secret); {
	case n == 0:
		return ""
	case n <= 8:
		return "••••"
	default:
		// WeChat's credentials often start with a fixed label (ticket@@@, refreshtoken@@@…):
		// keep the label and a few characters after it, so two values can be told apart.
		shown := 6
		if i := strings.Index(secret, "@@@"); i >= 0 && i+7 < n {
			shown = i + 7
		}
		return fmt.Sprintf("%s…(%d chars)", secret[:shown], n)
	}
}
