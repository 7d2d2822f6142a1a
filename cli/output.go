package cli

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"

	"github.com/clipperhouse/displaywidth"
	"golang.org/x/term"

	"wxauth/core/flow"
)

// How the commands print: JSON, times relative to now, tables, and whether input is a terminal.

// jsonOut writes v as indented JSON.
func jsonOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return withCode(ExitFailure, enc.Encode(v))
}

// timeJSON is t in RFC 3339, or null when unset.
func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

// ttyFD reports whether r is a terminal, and its descriptor.
func ttyFD(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return -1, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// untilText renders how far t is from now: "in 1h52m", "expired 3m ago", "-" when unset.
func untilText(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(now)
	if d >= 0 {
		return "in " + flow.ShortDuration(d)
	}
	return "expired " + flow.ShortDuration(-d) + " ago"
}

// agoText renders how long ago t was: "3m ago".
func agoText(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return flow.ShortDuration(now.Sub(t)) + " ago"
}

// writeTable writes rows as left-aligned columns two spaces apart. Widths are display
// widths: Chinese nick names and labels take two cells per character, which text/tabwriter
// (one cell per rune) would misalign.
func writeTable(w io.Writer, rows [][]string) error {
	rows = printableCells(rows)
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displaywidth.String(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displaywidth.String(cell)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return withCode(ExitFailure, err)
}

// printableCells is rows with every cell's control characters escaped: nick names and errors
// come from outside, and the widths must be those of what is printed.
func printableCells(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		out[i] = make([]string, len(row))
		for j, cell := range row {
			out[i][j] = flow.Printable(cell)
		}
	}
	return out
}
