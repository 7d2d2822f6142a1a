package storage

import (
	"errors"
	"strings"
	"testing"
)

// TestRequireKey: a shared store refuses to start without a key unless --insecure-plaintext;
// SQLite (not shared) never needs one.
func TestRequireKey(t *testing.T) {
	t.Parallel()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		shared bool
		opts   []Option
		refuse bool
	}{
		{"sqlite, no key", false, nil, false},
		{"shared, no key", true, nil, true},
		{"shared, key", true, []Option{WithKey(key)}, false},
		{"shared, --insecure-plaintext", true, []Option{WithInsecurePlaintext()}, false},
		{"shared, inspection", true, []Option{ForInspection()}, false},
	} {
		err := buildOptions(c.opts).requireKey(c.shared, "mysql://db.example:3306/wxauth")
		if refused := errors.Is(err, ErrPlaintextShared); refused != c.refuse {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.refuse && !(strings.Contains(err.Error(), "--insecure-plaintext") && strings.Contains(err.Error(), "WXAUTH_KEY")) {
			t.Errorf("%s: the error names no remedy: %v", c.name, err)
		}
	}
}
