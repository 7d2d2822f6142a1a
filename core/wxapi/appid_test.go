package wxapi

import "testing"

func TestIsAppID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"wx1234567890abcdef", true},
		{"wx0000000000000000", true},
		{"wx1234567890ABCDEF", false}, // WeChat's appids are lowercase
		{"wx1234567890abcde", false},
		{"wx1234567890abcdef0", false},
		{"gh_1234567890ab", false},
		{"xw1234567890abcdef", false},
		{"wx1234567890abcdeg", false},
		{"", false},
		{" wx1234567890abcdef", false},
	} {
		if got := IsAppID(tc.in); got != tc.want {
			t.Errorf("IsAppID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
