package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

func (m *Model) openPlatforms() tea.Cmd {
	m.back = m.screen
	m.screen = screenPlatforms
	m.platformCursor = 0
	for i, p := range m.platforms {
		if p.ComponentAppID == m.componentAppID {
			m.platformCursor = i
		}
	}
	return m.loadPlatformsCmd()
}

func (m *Model) platformsKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	n := len(m.platforms) + 1 // the last row adds a platform
	switch {
	case key.Matches(msg, m.keys.Up):
		m.platformCursor = max(0, m.platformCursor-1)
	case key.Matches(msg, m.keys.Down):
		m.platformCursor = min(n-1, m.platformCursor+1)
	case key.Matches(msg, m.keys.AddPlatform):
		return m.openForm(screenPlatforms)
	case key.Matches(msg, m.keys.EditPlatform):
		if m.platformCursor < len(m.platforms) {
			return m.openEditForm(m.platforms[m.platformCursor])
		}
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
	case key.Matches(msg, m.keys.Enter):
		if m.platformCursor == len(m.platforms) {
			return m.openForm(screenPlatforms)
		}
		return m.switchPlatform(m.platforms[m.platformCursor].ComponentAppID)
	}
	return nil
}

// switchPlatform shows another platform: its pipeline, authorizers and events.
func (m *Model) switchPlatform(componentAppID string) tea.Cmd {
	m.screen = screenDashboard
	if componentAppID == m.componentAppID {
		return nil
	}
	m.endSession()
	m.componentAppID = componentAppID
	m.loaded = false
	m.snap = flow.Snapshot{}
	clear(m.byAppID)
	m.table = authTable{key: m.table.key, desc: m.table.desc}
	m.filter.SetValue("")
	m.stored, m.live, m.rows = nil, nil, nil
	m.evCursor, m.evOffset = 0, 0
	m.setStatus(levelInfo, "switched to platform "+componentAppID)
	return tea.Batch(m.requestReload(), m.listenFor(componentAppID))
}

func (m *Model) renderPlatforms(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("Platforms"), w), ""}
	for i, p := range m.platforms {
		marker := "  "
		if i == m.platformCursor {
			marker = st.Cursor.Render("▸ ")
		}
		cur := ""
		if p.ComponentAppID == m.componentAppID {
			cur = st.OK.Render("  ● shown")
		}
		listen := p.ListenAddr
		if why, ok := m.listeners[listen]; ok && why != "" && why != "starting" {
			listen += st.Warn.Render(" (not listening)")
		}
		line := " " + marker + st.Bold.Render(p.ComponentAppID) + "  " + st.Dim.Render(p.PublicURL+" · listen "+listen) + cur
		out = append(out, trunc(line, w))
	}
	marker := "  "
	if m.platformCursor == len(m.platforms) {
		marker = st.Cursor.Render("▸ ")
	}
	out = append(out, " "+marker+st.Accent.Render("+ add a platform"), "", " "+st.Dim.Render("enter shows the platform · e edits it · n adds one · esc back"))
	return padLines(out, bodyH)
}
