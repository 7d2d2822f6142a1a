package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestTopLevelNames: commandRun finds a command by the names in topLevel, so each must be the
// name its builder gives (and no command may have an alias the table does not know), and the
// whole tree is exactly the table.
func TestTopLevelNames(t *testing.T) {
	a := &app{}
	var names []string
	for _, sub := range topLevel {
		c := sub.build(a)
		if c.Name() != sub.name {
			t.Errorf("topLevel says %q, its builder makes %q", sub.name, c.Name())
		}
		if len(c.Aliases) > 0 {
			t.Errorf("%s has aliases %v: commandRun would not find it by them", sub.name, c.Aliases)
		}
		names = append(names, sub.name)
	}
	var built []string
	for _, c := range a.fullRoot().Commands() {
		built = append(built, c.Name())
	}
	slices.Sort(names)
	if !slices.Equal(built, names) {
		t.Errorf("the whole tree has %v, topLevel %v", built, names)
	}
}

// TestCommandRun: the command built alone is the one cobra runs; help, completion and
// anything that names no known command get the whole tree.
func TestCommandRun(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" = the whole tree
	}{
		{[]string{"token", "wx8d5e2f7a1c3b9046"}, "token"},
		{[]string{"--db", "x.db", "token"}, "token"},
		{[]string{"--db=x.db", "--json", "token"}, "token"},
		{[]string{"--platform", "wx134c8103faa5a59e", "--insecure-plaintext", "status"}, "status"},
		{[]string{"platform", "add", "--help-me"}, "platform"},
		{[]string{"version"}, "version"},
		// cobra takes an unknown flag's next argument for its value: "token" is not the command.
		{[]string{"--renew", "token", "wx8d5e2f7a1c3b9046"}, ""},
		{[]string{"--db"}, ""},
		{[]string{"token", "--help"}, ""},
		{[]string{"token", "-h"}, ""},
		{[]string{"help", "token"}, ""},
		{[]string{"completion", "bash"}, ""},
		{[]string{"__complete", "tok"}, ""},
		{[]string{"--", "token"}, ""},
		{[]string{"tokn"}, ""},
		{[]string{"--version"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		a := &app{}
		got := ""
		if build := a.commandRun(tt.args); build != nil {
			got = build(a).Name()
		}
		if got != tt.want {
			t.Errorf("commandRun(%q) builds %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestOneCommandAsTheWhole: a command run from a tree holding only it prints and fails
// exactly as from the whole tree.
func TestOneCommandAsTheWhole(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	runs := [][]string{
		{"version"},
		{"--json", "version"},
		{"version", "extra"},
		{"token", "not-an-appid"},
		{"token", "a", "b"},
		{"--platform", "nope", "token"},
		{"--db", missing, "status"},
		{"--db", missing, "--json", "authorizers"},
		{"push", "--bogus"},
		{"platform"},
		{"platform", "bogus"},
		{"key"},
		{"publish", "list", "extra", "args"},
	}
	for _, args := range runs {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			one, whole := &app{}, &app{}
			if one.commandRun(args) == nil {
				t.Fatal("not a run of one command: the test would compare the whole tree with itself")
			}
			gotOut, gotErr, gotCode := execTree(one, one.rootCmd(args), args)
			wantOut, wantErr, wantCode := execTree(whole, whole.fullRoot(), args)
			if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
				t.Errorf("alone: exit %d, stdout %q, stderr %q\nwhole tree: exit %d, stdout %q, stderr %q",
					gotCode, gotOut, gotErr, wantCode, wantOut, wantErr)
			}
		})
	}
}

// execTree runs args on root as Main does, returning stdout, stderr and the exit code.
func execTree(a *app, root *cobra.Command, args []string) (string, string, int) {
	var out, errOut bytes.Buffer
	a.in, a.out, a.err, a.raw = strings.NewReader(""), printableWriter{&out}, printableWriter{&errOut}, &out
	root.SetArgs(args)
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.err)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = a.reportError(context.Background(), err, a.flags.json || jsonRequested(args))
	}
	return out.String(), errOut.String(), code
}
