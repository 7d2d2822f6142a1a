package tui

import (
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// eventsShown is how many logged events the events pane keeps.
const eventsShown = 200

// eventRow is one line of the events pane.
type eventRow struct {
	at    time.Time
	level string
	text  string
}

func eventRowOf(ev flow.Event) eventRow {
	return eventRow{at: ev.At, level: eventLevel(ev), text: oneLine(ev.Text())}
}

// mergeEvents interleaves logged and live-only events, newest first.
func (m *Model) mergeEvents() {
	rows := make([]eventRow, 0, len(m.stored)+len(m.live))
	for _, ev := range m.stored {
		rows = append(rows, eventRowOf(ev))
	}
	rows = append(rows, m.live...)
	slices.SortStableFunc(rows, func(a, b eventRow) int { return b.at.Compare(a.at) })
	if len(rows) > eventsShown {
		rows = rows[:eventsShown]
	}
	m.rows = rows
	m.evCursor = max(0, min(m.evCursor, len(m.rows)-1))
}

// eventLevel maps an engine event's level to a display level; successes read green.
func eventLevel(ev flow.Event) string {
	switch ev.Level {
	case flow.LevelError:
		return levelErr
	case flow.LevelWarn:
		return levelWarn
	}
	switch ev.Kind {
	case flow.EventAuthorized, flow.EventAuthorizerToken, flow.EventComponentToken, flow.EventTicketReceived:
		return levelOK
	}
	return levelInfo
}

func (m *Model) onEngineEvent(ev flow.Event) tea.Cmd {
	if ev.ComponentAppID != "" && ev.ComponentAppID != m.componentAppID && !m.strangerPush(ev) {
		return nil
	}
	if ev.Kind == flow.EventForeignWriter {
		m.setStatus(levelWarn, oneLine(ev.Message)+" (P shows the Redis sinks)")
	}
	if ev.Kind == flow.EventPushRejected {
		// Rejected pushes are not logged in the database (a flood must cost nothing): keep
		// them here so the pane still shows them.
		m.live = append([]eventRow{{at: ev.At, level: levelWarn, text: oneLine(ev.Text())}}, m.live...)
		if len(m.live) > 50 {
			m.live = m.live[:50]
		}
		m.mergeEvents()
	}
	if ev.Level == flow.LevelError {
		m.setStatus(levelErr, ev.Text())
	}
	return m.requestReload()
}

// strangerPush reports whether ev is a push the listener refused for an AppId no configured
// platform has: it concerns whichever platform is shown (a wrong AppId on the open platform, or
// someone probing the listener), so the pane shows it.
func (m *Model) strangerPush(ev flow.Event) bool {
	if ev.Kind != flow.EventPushRejected {
		return false
	}
	for _, p := range m.platforms {
		if p.ComponentAppID == ev.ComponentAppID {
			return false
		}
	}
	return true
}

// renderEvents draws the events pane: a title and n lines, newest first. With the focus on it,
// the selected event is shown whole (wrapped), with its explanation and remedy.
func (m *Model) renderEvents(n int) []string {
	st := m.styles
	title := " Events"
	if m.focus == focusEvents {
		title = "▍Events"
	}
	lines := []string{fit(st.Section.Render(title)+st.Dim.Render("  newest first · tab to browse"), m.width)}
	if len(m.rows) == 0 {
		lines = append(lines, "  "+st.Dim.Render("nothing yet"))
		return padLines(lines, n+1)
	}
	for i := m.evOffset; i < len(m.rows) && len(lines) < n+1; i++ {
		r := m.rows[i]
		glyph := map[string]string{levelErr: "✗", levelWarn: "!", levelOK: "✓"}[r.level]
		if glyph == "" {
			glyph = "·"
		}
		prefix := " " + r.at.In(m.now.Location()).Format("15:04:05") + " " + st.levelStyle(r.level).Render(glyph) + " "
		if m.focus == focusEvents && i == m.evCursor {
			w := max(10, m.width-12)
			for j, l := range wrap(r.text, w) {
				if len(lines) >= n+1 {
					break
				}
				if j == 0 {
					lines = append(lines, st.Selected.Render(fit(prefix+l, m.width)))
				} else {
					lines = append(lines, st.Selected.Render(fit(strings.Repeat(" ", 12)+l, m.width)))
				}
			}
			continue
		}
		lines = append(lines, fit(prefix+r.text, m.width))
	}
	return padLines(lines, n+1)
}
