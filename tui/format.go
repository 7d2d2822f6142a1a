package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Levels of status messages and events, as rendered.
const (
	levelInfo = "info"
	levelOK   = "ok"
	levelWarn = "warn"
	levelErr  = "error"
)

// countdown renders a remaining duration compactly: 1h52m, 4m05s, 12s.
func countdown(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h >= 24:
		return fmt.Sprintf("%dd%02dh", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// ago renders how long ago t was, relative to now.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return countdown(d) + " ago"
}

// agoShort is ago to the minute: "4m ago", "2h05m ago".
func agoShort(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return ago(now, t)
	case d < time.Hour:
		return itoa(int(d/time.Minute)) + "m ago"
	}
	return countdown(d) + " ago"
}

// fit pads or truncates s (which may hold ANSI styling and wide characters) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// trunc truncates s to at most w cells.
func trunc(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// bar is a fixed-width gauge of frac (0..1).
func bar(st Styles, frac float64, w int) string {
	if w <= 0 {
		return ""
	}
	frac = max(0, min(1, frac))
	n := int(frac*float64(w) + 0.5)
	return st.BarFull.Render(strings.Repeat("▰", n)) + st.BarEmpty.Render(strings.Repeat("▱", w-n))
}

// wrap breaks s into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " /&?,"), "\n")
}

// padLines makes s exactly h lines (truncating or adding blank lines), each at most w cells.
func padLines(lines []string, h int) []string {
	if len(lines) > h {
		return lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

func itoa(n int) string { return strconv.Itoa(n) }

func ansiWidth(s string) int { return ansi.StringWidth(s) }

func ansiStrip(s string) string { return ansi.Strip(s) }

// whole shows a value the user may select by hand (a token, a link) on one line: whole when it
// fits in w cells, else visibly cut with "…" (ok false; the caller offers the copy key). Never
// wrapped: a selection across lines would pick up the line break.
func whole(v string, w int) (shown string, ok bool) {
	if ansiWidth(v) <= w {
		return v, true
	}
	return trunc(v, w), false
}

// wrapItems lays items out in lines of at most w cells, sep between them, breaking only
// between items: "17 帐号管理" never loses its name to the next line. An item wider than w
// is cut.
func wrapItems(items []string, sep string, w int) []string {
	var lines []string
	line := ""
	for _, it := range items {
		it = trunc(it, w)
		switch {
		case line == "":
			line = it
		case ansiWidth(line)+ansiWidth(sep)+ansiWidth(it) <= w:
			line += sep + it
		default:
			lines = append(lines, line)
			line = it
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
