package tui

import "strings"

// The dashboard: the pipeline, the authorizers table and the events pane, one above the other.

// dashboardLayout splits the body height between the pipeline, the table and the events.
type dashboardLayout struct {
	compact            bool // one-line pipeline
	pipeline, rows, ev int
}

func (m *Model) dashLayout(bodyH int) dashboardLayout {
	l := dashboardLayout{compact: bodyH < 16 || m.width < 70}
	l.pipeline = 5
	if l.compact {
		l.pipeline = 1
	}
	rest := bodyH - l.pipeline - 3 // table title and header, events title
	l.ev = max(1, min(8, rest/4))
	l.rows = max(1, rest-l.ev)
	// A short table leaves its room to the events.
	if need := max(3, m.table.Len()); need < l.rows {
		l.rows = need
		l.ev = rest - need
	}
	return l
}

func (m *Model) renderDashboard(bodyH int) []string {
	l := m.dashLayout(bodyH)
	var lines []string
	if l.compact {
		lines = append(lines, m.renderPipelineLine())
	} else {
		lines = append(lines, strings.Split(m.renderPipeline(), "\n")...)
	}
	lines = append(lines, m.renderTableTitle())
	if m.table.Total() == 0 {
		empty := padLines(m.emptyTable(), l.rows+1)
		lines = append(lines, empty...)
	} else {
		tl := m.table.Render(m.styles, m.width, m.now, m.refreshing)
		lines = append(lines, padLines(tl, l.rows+1)...)
	}
	lines = append(lines, m.renderEvents(l.ev)...)
	return padLines(lines, bodyH)
}

func (m *Model) renderTableTitle() string {
	title := "Authorizers"
	if m.focus == focusTable {
		title = "▍" + title
	} else {
		title = " " + title
	}
	t := m.styles.Section.Render(title)
	count := m.table.Len()
	info := " " + itoa(m.table.Total())
	if m.table.filter != "" {
		info = " " + itoa(count) + " of " + itoa(m.table.Total())
	}
	order := "↑"
	if m.table.desc {
		order = "↓"
	}
	info += " · sorted by " + m.table.key.String() + " " + order
	line := t + m.styles.Dim.Render(info)
	switch {
	case m.filtering:
		line += "  " + m.filter.View()
	case m.table.filter != "":
		line += m.styles.Dim.Render("  filter: ") + m.styles.Accent.Render(m.table.filter) + m.styles.Dim.Render(" (esc clears)")
	}
	return fit(line, m.width)
}

// emptyTable says what to do when there is no authorizer yet.
func (m *Model) emptyTable() []string {
	var msg string
	switch {
	case !m.loaded:
		msg = "reading the database…"
	case m.snap.Ticket == nil:
		msg = "Waiting for the first component_verify_ticket from WeChat (it pushes one every 10 minutes). Press t to ask for one now."
	case m.pendingSession() != nil:
		msg = "An authorization is waiting for the merchant: press a to see the link and the QR code."
	default:
		msg = "No account has authorized this platform yet. Press a to start an authorization."
	}
	lines := []string{""}
	for _, l := range wrap(msg, max(10, m.width-4)) {
		lines = append(lines, "  "+m.styles.Dim.Render(l))
	}
	return lines
}
