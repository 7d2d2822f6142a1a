package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// topLevel are wxauth's commands (`wxauth --help` lists them sorted by name).
// name is the command's name (its Use up to the first space); TestTopLevelNames holds it to
// what build makes.
var topLevel = [...]struct {
	name  string
	build func(*app) *cobra.Command
}{
	{"push", (*app).pushCmd},
	{"release", (*app).releaseCmd},
	{"sim", (*app).simCmd},
	{"demo", (*app).demoCmd},
	{"platform", (*app).platformCmd},
	{"serve", (*app).serveCmd},
	{"authorize", (*app).authorizeCmd},
	{"token", (*app).tokenCmd},
	{"authorizers", (*app).authorizersCmd},
	{"export", (*app).exportCmd},
	{"ticket", (*app).ticketCmd},
	{"status", (*app).statusCmd},
	{"quota", (*app).quotaCmd},
	{"version", (*app).versionCmd},
	{"doctor", (*app).doctorCmd},
	{"key", (*app).keyCmd},
	{"publish", (*app).publishCmd},
	{"client", (*app).clientCmd},
	{"migrate", (*app).migrateCmd},
}

// commandRun returns the builder of the top-level command args run, or nil when args ask for
// help or completion or run no known command. Which one cobra will run is cobra's own answer
// (Find, which skips the root's flags and their values as the run will), asked of a root
// whose subcommands are names only.
func (a *app) commandRun(args []string) func(*app) *cobra.Command {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "--help" || strings.HasPrefix(arg, "--help=") || strings.HasPrefix(arg, "-h") {
			return nil
		}
	}
	probe := a.bareRoot()
	for _, sub := range topLevel {
		probe.AddCommand(&cobra.Command{Use: sub.name})
	}
	found, _, err := probe.Find(args)
	if err != nil || found == probe {
		return nil
	}
	for _, sub := range topLevel {
		if sub.name == found.Name() {
			return sub.build
		}
	}
	return nil
}
