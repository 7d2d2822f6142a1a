package flow

import "fmt"

// Mask hides a secret for display: enough of its start to recognise it, and its length.
// Secrets are shown whole only when the user asks (reveal, copy, export).
func Mask(secret string) string {
	switch n := len(secret); {
	case n == 0:
		return ""
	case n <= 8:
		return "••••"
	default:
		return fmt.Sprintf("%s…(%d chars)", secret[:6], n)
	}
}
