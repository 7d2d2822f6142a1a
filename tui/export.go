package tui

import (
	"bytes"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/export"
	"wxauth/core/flow"
)

// exportDialog exports tokens: a format (core/export), a target (clipboard or a 0600 file)
// and whether refresh tokens go too. A file goes to the data directory (the database's)
// unless the user types an absolute path; a name typed alone goes there too, never into
// whatever directory the console was started from.
type exportDialog struct {
	items       []flow.Authorizer
	format      int // index into export.Formats
	toFile      bool
	withRefresh bool
	field       int // 0 format, 1 target, 2 refresh tokens, 3 path
	path        textinput.Model
	pathEdited  bool
	dir         string // the data directory
	home        string // for ~/ in a typed path
	busy        bool
}

func defaultExportPath(dir, format string) string {
	ext := map[string]string{export.FormatEnv: ".env", export.FormatJSON: ".json", export.FormatShell: ".sh"}[format]
	return filepath.Join(dir, "wxauth-tokens"+ext)
}

// exportDir is where exports go by default: Options.DataDir, else the database's directory.
func (m *Model) exportDir() string {
	if m.opts.DataDir == "" && m.eng != nil {
		return m.eng.DataDir()
	}
	return m.opts.DataDir
}

// target is the file the typed path names: ~/ from the home directory, a relative path from
// the data directory; "" with a reason when it cannot be placed.
func (d *exportDialog) target() (string, string) {
	p := strings.TrimSpace(d.path.Value())
	switch {
	case p == "":
		return "", "no file name"
	case p == "~" || strings.HasPrefix(p, "~/"):
		if d.home == "" {
			return "", "no home directory for ~; type an absolute path"
		}
		return filepath.Join(d.home, strings.TrimPrefix(p, "~")), ""
	case filepath.IsAbs(p):
		return filepath.Clean(p), ""
	case d.dir == "":
		return "", "type an absolute path"
	}
	return filepath.Join(d.dir, p), ""
}

func (m *Model) openExport(items []flow.Authorizer) tea.Cmd {
	home := m.opts.Getenv("HOME")
	if home == "" {
		home = m.opts.Getenv("USERPROFILE") // Windows
	}
	d := &exportDialog{items: items, path: textinput.New(), dir: m.exportDir(), home: home}
	d.path.Prompt = ""
	d.path.SetStyles(m.styles.Input)
	d.path.SetValue(defaultExportPath(d.dir, export.Formats[0]))
	d.path.CharLimit = 4096
	m.export = d
	return nil
}

func (m *Model) exportKey(msg tea.KeyPressMsg) tea.Cmd {
	d := m.export
	fields := 3
	if d.toFile {
		fields = 4
	}
	focus := func(f int) tea.Cmd {
		d.field = (f + fields) % fields
		if d.field == 3 {
			return d.path.Focus()
		}
		d.path.Blur()
		return nil
	}
	switch msg.String() {
	case "esc":
		m.export = nil
		return nil
	case "enter":
		return m.runExport()
	case "tab", "down":
		return focus(d.field + 1)
	case "shift+tab", "up":
		return focus(d.field - 1)
	}
	if d.field == 3 {
		var cmd tea.Cmd
		before := d.path.Value()
		d.path, cmd = d.path.Update(msg)
		if d.path.Value() != before {
			d.pathEdited = true
		}
		return cmd
	}
	step := 0
	switch msg.String() {
	case "left", "h":
		step = -1
	case "right", "l", "space":
		step = 1
	case "q":
		return tea.Quit
	}
	if step == 0 {
		return nil
	}
	switch d.field {
	case 0:
		d.format = (d.format + len(export.Formats) + step) % len(export.Formats)
		if !d.pathEdited {
			d.path.SetValue(defaultExportPath(d.dir, export.Formats[d.format]))
		}
	case 1:
		d.toFile = !d.toFile
	case 2:
		d.withRefresh = !d.withRefresh
	}
	return nil
}

// runExport formats the tokens (core/export) and sends them to the chosen target.
func (m *Model) runExport() tea.Cmd {
	d := m.export
	if d.busy {
		return nil
	}
	items := make([]export.Item, 0, len(d.items))
	for _, a := range d.items {
		if a.AccessToken == "" {
			continue // nothing to hand out (no token: revoked or authorized without API permission)
		}
		it := export.Item{ComponentAppID: a.ComponentAppID, AuthorizerAppID: a.AppID, NickName: a.NickName,
			AccessToken: a.AccessToken, ExpiresAt: a.AccessExpiresAt}
		if d.withRefresh {
			it.RefreshToken = a.RefreshToken
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		m.export = nil
		m.setStatus(levelWarn, "nothing to export: none of these authorizers has an access token")
		return nil
	}
	var buf bytes.Buffer
	format := export.Formats[d.format]
	if err := export.Format(&buf, format, items); err != nil {
		m.setStatus(levelErr, "export: "+err.Error())
		return nil
	}
	what := itoa(len(items)) + " access token"
	if len(items) > 1 {
		what += "s"
	}
	if d.withRefresh {
		what += " with refresh tokens"
	}
	what += " (" + format + ")"
	m.export = nil
	if !d.toFile {
		return m.copyCmd(what, buf.String())
	}
	path, why := d.target()
	if path == "" {
		m.setStatus(levelErr, "export: "+why)
		return nil
	}
	data := buf.Bytes()
	return func() tea.Msg {
		return exportDoneMsg{what: what, path: path, err: export.WriteFile(path, data)}
	}
}

func (m *Model) onExported(msg exportDoneMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus(levelErr, "export failed: "+msg.err.Error())
		return nil
	}
	m.setStatus(levelOK, "✓ exported "+msg.what+" to a file only you can read (0600): "+msg.path)
	return nil
}

// renderExport draws the dialog box.
func (m *Model) renderExport() []string {
	d := m.export
	st := m.styles
	w := min(m.width-4, 72)
	inner := w - 4
	row := func(i int, name, value string) string {
		marker := "  "
		if d.field == i {
			marker = st.Cursor.Render("▸ ")
			value = st.Accent.Render(value)
		}
		return fit(marker+st.Label.Render(fit(name, 15))+value, inner)
	}
	target := "‹ clipboard ›"
	if d.toFile {
		target = "‹ file (mode 0600) ›"
	}
	refresh := "‹ no ›"
	if d.withRefresh {
		refresh = "‹ yes: they renew access, keep them secret ›"
	}
	n := itoa(len(d.items)) + " authorizer"
	if len(d.items) != 1 {
		n += "s"
	}
	lines := []string{
		fit(st.Section.Render("Export "+n), inner),
		"",
		row(0, "format", "‹ "+export.Formats[d.format]+" ›"),
		row(1, "to", target),
		row(2, "refresh tokens", refresh),
	}
	if d.toFile {
		lines = append(lines, fit(map[bool]string{true: st.Cursor.Render("▸ "), false: "  "}[d.field == 3]+st.Label.Render(fit("file", 15))+d.path.View(), inner))
		// Where the file lands, whenever the typed path alone does not say it.
		if to, why := d.target(); to != strings.TrimSpace(d.path.Value()) {
			if to == "" {
				to = why
			}
			lines = append(lines, fit("  "+fit("", 15)+st.Dim.Render("→ "+to), inner))
		}
	}
	lines = append(lines, "", fit(st.Dim.Render("←/→ change · tab next · enter export · esc cancel"), inner))
	box := st.Dialog.Width(w).Render(strings.Join(lines, "\n"))
	return strings.Split(box, "\n")
}
