package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering holds the import rules of DESIGN.md: the faces speak the engine's types, never
// storage rows or WeChat's wire types; the simulator never imports the engine; storage knows
// nothing above it. Test files are exempt: they may inspect the database directly.
func TestLayering(t *testing.T) {
	rules := []struct {
		dir       string
		forbidden []string
	}{
		{"tui", []string{"wxauth/storage", "wxauth/core/wxapi"}},
		{"cli", []string{"wxauth/storage", "wxauth/core/wxapi"}},
		{"core/wxsim", []string{"wxauth/core/flow", "wxauth/storage", "wxauth/core/callback"}},
		{"core/wxapi", []string{"wxauth/core/flow", "wxauth/storage"}},
		{"storage", []string{"wxauth/core/", "wxauth/cli", "wxauth/tui"}},
		{"core/callback", []string{"wxauth/core/flow", "wxauth/storage"}},
		{"core/release", []string{"wxauth/core/flow", "wxauth/storage", "wxauth/core/callback"}},
		// The Redis publishers consume the engine's feed and types: never the store or WeChat.
		{"core/publish", []string{"wxauth/storage", "wxauth/core/wxapi", "wxauth/core/callback", "wxauth/core/wxsim", "wxauth/cli", "wxauth/tui"}},
		// The token service is a consumer of the engine: its types and feed, never rows or WeChat.
		{"core/tokenapi", []string{"wxauth/storage", "wxauth/core/wxapi", "wxauth/core/wxsim"}},
		{"tokenclient", []string{"wxauth/"}}, // stdlib only: users copy it into their programs
	}
	for _, r := range rules {
		for path, imports := range nonTestImports(t, r.dir) {
			for _, imp := range imports {
				for _, bad := range r.forbidden {
					if imp == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(imp, bad)) {
						t.Errorf("%s imports %s", path, imp)
					}
				}
			}
		}
	}
}

// nonTestImports lists the imports of every non-test Go file under dir, by file.
func nonTestImports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[path] = append(out[path], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %s", dir)
	}
	return out
}

// TestTokenClientIsStdlibOnly: tokenclient imports only the standard library, so programs can
// vendor or copy it without pulling wxauth's dependencies.
func TestTokenClientIsStdlibOnly(t *testing.T) {
	for path, imports := range nonTestImports(t, "tokenclient") {
		for _, imp := range imports {
			if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") || strings.HasPrefix(imp, "wxauth") {
				t.Errorf("%s imports %s", path, imp)
			}
		}
	}
}
