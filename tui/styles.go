package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Styles is every style the console uses, built once per background (dark or light) so the
// colours stay readable on both. Components receive it; none builds its own.
type Styles struct {
	IsDark bool

	Title    lipgloss.Style // product name in the header
	Header   lipgloss.Style // header line
	Badge    lipgloss.Style // state badge in the header
	Sandbox  lipgloss.Style // "sandbox" badge
	Dim      lipgloss.Style // secondary text
	Text     lipgloss.Style
	Bold     lipgloss.Style
	Accent   lipgloss.Style // keys mentioned in prose, links
	OK       lipgloss.Style
	Warn     lipgloss.Style
	Err      lipgloss.Style
	Label    lipgloss.Style // field labels in forms and the detail view
	Section  lipgloss.Style // section titles
	Box      lipgloss.Style // pipeline stage
	BoxTitle lipgloss.Style
	BarFull  lipgloss.Style
	BarEmpty lipgloss.Style

	TableHeader lipgloss.Style
	Row         lipgloss.Style
	Selected    lipgloss.Style // selected table row
	Cursor      lipgloss.Style // the ▸ marker

	Status    lipgloss.Style
	StatusErr lipgloss.Style
	HandCopy  lipgloss.Style // a value shown for selecting by hand
	Dialog    lipgloss.Style // bordered overlay (export, confirm)
	QR        lipgloss.Style // explicit polarity so phones scan it on any theme

	Help  help.Styles
	Input textinput.Styles
}

// NewStyles builds the styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	var (
		fg      = c("#1F2328", "#E6EDF3")
		dim     = c("#57606A", "#8B949E")
		accent  = c("#0550AE", "#79C0FF")
		green   = c("#116329", "#56D364")
		yellow  = c("#7D4E00", "#E3B341")
		red     = c("#A40E26", "#FF7B72")
		border  = c("#8C959F", "#484F58")
		selBg   = c("#DDF4FF", "#1F3B5C")
		badgeBg = c("#0969DA", "#1F6FEB")
		sandBg  = c("#8250DF", "#8957E5")
		white   = lipgloss.Color("#FFFFFF")
	)
	s := Styles{IsDark: isDark}
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Header = lipgloss.NewStyle().Foreground(fg)
	s.Badge = lipgloss.NewStyle().Foreground(white).Background(badgeBg).Padding(0, 1)
	s.Sandbox = lipgloss.NewStyle().Foreground(white).Background(sandBg).Padding(0, 1)
	s.Dim = lipgloss.NewStyle().Foreground(dim)
	s.Text = lipgloss.NewStyle().Foreground(fg)
	s.Bold = lipgloss.NewStyle().Foreground(fg).Bold(true)
	s.Accent = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.OK = lipgloss.NewStyle().Foreground(green)
	s.Warn = lipgloss.NewStyle().Foreground(yellow)
	s.Err = lipgloss.NewStyle().Foreground(red)
	s.Label = lipgloss.NewStyle().Foreground(dim)
	s.Section = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(border)
	s.BoxTitle = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.BarFull = lipgloss.NewStyle().Foreground(green)
	s.BarEmpty = lipgloss.NewStyle().Foreground(border)
	s.TableHeader = lipgloss.NewStyle().Foreground(dim).Bold(true)
	s.Row = lipgloss.NewStyle().Foreground(fg)
	s.Selected = lipgloss.NewStyle().Foreground(fg).Background(selBg).Bold(true)
	s.Cursor = lipgloss.NewStyle().Foreground(accent).Bold(true)
	s.Status = lipgloss.NewStyle().Foreground(fg)
	s.StatusErr = lipgloss.NewStyle().Foreground(red).Bold(true)
	s.HandCopy = lipgloss.NewStyle().Foreground(fg).Background(selBg)
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1)
	// Dark modules on a light background whatever the terminal theme: scanners expect that.
	s.QR = lipgloss.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFFFFF"))

	s.Help = help.DefaultStyles(isDark)
	s.Help.ShortKey = s.Help.ShortKey.Foreground(accent)
	s.Help.FullKey = s.Help.FullKey.Foreground(accent)
	s.Input = textinput.DefaultStyles(isDark)
	return s
}

// levelStyle styles an event or status by its level.
func (s Styles) levelStyle(level string) lipgloss.Style {
	switch level {
	case levelErr:
		return s.Err
	case levelWarn:
		return s.Warn
	case levelOK:
		return s.OK
	}
	return s.Text
}
