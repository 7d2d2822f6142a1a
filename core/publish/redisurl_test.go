package publish_test

import (
	"strings"
	"testing"

	"wxauth/core/publish"
)

func TestMaskURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"redis://:pw@10.0.0.5:6379/0", "redis://:****@10.0.0.5:6379/0"},
		{"rediss://app:pw@cache.example.com:6380/3", "rediss://app:****@cache.example.com:6380/3"},
		{"redis://10.0.0.5:6379", "redis://10.0.0.5:6379"},
		{"redis://10.0.0.5:6379/1?password=pw", "redis://10.0.0.5:6379/1?password=****"},
		{"redis://:p%40ss@h:1/0", "redis://:****@h:1/0"},
		{"::not a url", "(unparsable Redis URL)"},
	} {
		if got := publish.MaskURL(c.in); got != c.want {
			t.Errorf("MaskURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Bad URLs are refused with what to do, and the message never quotes the password.
func TestCheckURLErrorsHideThePassword(t *testing.T) {
	const pw = "Pa55word"
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"http://:" + pw + "@h:1/0", "must start with redis://"},
		{"redis://:" + pw + "@h:1/x", "not usable"},
		{"redis://:" + pw + "@:1/0x\x7f", "not a valid URL"},
		{"redis:///0", "names no host"},
	} {
		_, err := publish.CheckURL(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckURL(%q) = %v, want an error with %q", c.in, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("CheckURL(%q) quotes the password: %v", c.in, err)
		}
	}
	if _, err := publish.CheckURL("rediss://:" + pw + "@cache:6380/2"); err != nil {
		t.Fatalf("a TLS URL: %v", err)
	}
}
