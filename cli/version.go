package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what the binary knows about its own build.
type buildInfo struct {
	Version      string `json:"version"`                // module version, "(devel)" for a local build
	Revision     string `json:"vcs_revision,omitempty"` // commit the binary was built from
	RevisionTime string `json:"vcs_time,omitempty"`     // that commit's time
	Modified     *bool  `json:"vcs_modified,omitempty"` // built with uncommitted changes
	GoVersion    string `json:"go_version"`             // toolchain
	Platform     string `json:"platform"`               // GOOS/GOARCH
	Path         string `json:"module_path,omitempty"`  // main module
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Path, b.GoVersion = bi.Main.Path, bi.GoVersion
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.RevisionTime = s.Value
		case "vcs.modified":
			modified := s.Value == "true"
			b.Modified = &modified
		}
	}
	return b
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information (also: wxauth --version)",
		Example: `  wxauth version
  wxauth version --json | jq -r .vcs_revision`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return a.printVersion() },
	}
}

// printVersion prints the module version, the commit (when the build recorded it) and the Go
// version: what a bug report needs.
func (a *app) printVersion() error {
	b := readBuildInfo()
	if a.flags.json {
		return jsonOut(a.out, b)
	}
	fmt.Fprintf(a.out, "wxauth %s\n", b.Version)
	if b.Revision != "" {
		rev := b.Revision
		if b.Modified != nil && *b.Modified {
			rev += " (with uncommitted changes)"
		}
		fmt.Fprintf(a.out, "  commit  %s\n", rev)
	}
	if b.RevisionTime != "" {
		fmt.Fprintf(a.out, "  date    %s\n", b.RevisionTime)
	}
	_, err := fmt.Fprintf(a.out, "  go      %s %s\n", b.GoVersion, b.Platform)
	return withCode(ExitFailure, err)
}
