// Command ansisvg converts a terminal capture (`tmux capture-pane -e -p`) on stdin to SVG on
// stdout: go run ./tui/internal/ansisvg/cmd/ansisvg -title wxauth < screen.ans > docs/console.svg
package main

import (
	"flag"
	"fmt"
	"os"

	"wxauth/tui/internal/ansisvg"
)

func main() {
	title := flag.String("title", "", "window title drawn above the screen")
	flag.Parse()
	s, err := ansisvg.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ansisvg:", err)
		os.Exit(1)
	}
	o := ansisvg.DefaultOptions()
	o.Title = *title
	if err := ansisvg.Render(os.Stdout, s, o); err != nil {
		fmt.Fprintln(os.Stderr, "ansisvg:", err)
		os.Exit(1)
	}
}
