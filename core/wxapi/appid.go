package wxapi

// IsAppID reports whether s has the shape of a WeChat appid: "wx" and 16 lowercase hex digits.
// Platforms, mini programs and official accounts all share it. This is the one place the rule
// is written; the engine, the commands and the simulator ask here.
func IsAppID(s string) bool {
	if len(s) != 18 || s[0] != 'w' || s[1] != 'x' {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
