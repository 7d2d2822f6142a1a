package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The dashboard's keys: while filtering, the filter input takes them; otherwise they act on
// the platform and the selected authorizer, or move through the table and the events.

func (m *Model) dashboardKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.filtering {
		return m.filterKey(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	if cmd, ok := m.dashboardAction(msg); ok {
		return cmd
	}
	return m.dashboardNavigation(msg)
}

// filterKey edits the filter; enter keeps it, esc clears it, ↑/↓ still move the table.
func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.filtering = false
		m.filter.Blur()
		return nil
	case "esc":
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		m.table.SetFilter("")
		return nil
	case "up":
		m.table.Move(-1)
		return nil
	case "down":
		m.table.Move(1)
		return nil
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.table.SetFilter(m.filter.Value())
	return cmd
}

// dashboardAction handles the keys that act: on the platform, or on the selected authorizer.
func (m *Model) dashboardAction(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	sel, hasSel := m.table.Selected()
	switch {
	case key.Matches(msg, m.keys.Authorize):
		return m.openAuthorize(), true
	case key.Matches(msg, m.keys.Approve):
		return m.approve(), true
	case key.Matches(msg, m.keys.PushTicket):
		m.setStatus(levelInfo, "asking WeChat to push a component_verify_ticket (api_start_push_ticket)…")
		return m.pushTicketCmd(), true
	case key.Matches(msg, m.keys.RenewComponent):
		m.confirmRenewComponent()
		return nil, true
	case key.Matches(msg, m.keys.Platforms):
		return m.openPlatforms(), true
	case key.Matches(msg, m.keys.Release):
		return m.openRelease(), true
	case key.Matches(msg, m.keys.Import):
		return m.startImport(), true
	case key.Matches(msg, m.keys.Doctor):
		return m.openDoctor(), true
	case key.Matches(msg, m.keys.Publish):
		return m.openPublish(), true
	case key.Matches(msg, m.keys.Clients):
		return m.openClients(), true
	case key.Matches(msg, m.keys.Export):
		return m.exportShown(), true
	case key.Matches(msg, m.keys.Refresh):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected")
			return nil, true
		}
		return m.refreshNow(sel.AppID), true
	case key.Matches(msg, m.keys.Copy):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected: authorize one with a")
			return nil, true
		}
		m.setStatus(levelInfo, "fetching a valid access token of "+sel.AppID+"…")
		return m.accessTokenCmd(sel.AppID), true
	case key.Matches(msg, m.keys.CopyRefresh):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected")
			return nil, true
		}
		return m.copyRefresh(sel), true
	case key.Matches(msg, m.keys.Enter):
		if m.focus == focusTable && hasSel {
			return m.openDetail(sel.AppID), true
		}
		return nil, true
	}
	return nil, false
}

// dashboardNavigation handles the keys that move, sort, filter and switch the focus.
func (m *Model) dashboardNavigation(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Filter):
		m.filtering = true
		m.focus = focusTable
		return m.filter.Focus()
	case key.Matches(msg, m.keys.Sort):
		m.table.CycleSort()
	case key.Matches(msg, m.keys.Reverse):
		m.table.Reverse()
	case key.Matches(msg, m.keys.FocusNext):
		if m.focus == focusTable {
			m.focus = focusEvents
		} else {
			m.focus = focusTable
		}
	case key.Matches(msg, m.keys.Up):
		m.move(-1)
	case key.Matches(msg, m.keys.Down):
		m.move(1)
	case key.Matches(msg, m.keys.PageUp):
		m.page(-1)
	case key.Matches(msg, m.keys.PageDown):
		m.page(1)
	case key.Matches(msg, m.keys.Top):
		m.move(-len(m.rows) - m.table.Len())
	case key.Matches(msg, m.keys.Bottom):
		m.move(len(m.rows) + m.table.Len())
	case key.Matches(msg, m.keys.Back):
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.table.SetFilter("")
		}
	}
	return nil
}

func (m *Model) move(n int) {
	if m.focus == focusEvents {
		m.evCursor = max(0, min(m.evCursor+n, len(m.rows)-1))
		return
	}
	m.table.Move(n)
}

func (m *Model) page(dir int) {
	if m.focus == focusEvents {
		m.move(dir * 5)
		return
	}
	m.table.Page(dir)
}

// confirmRenewComponent asks before renewing the component token: WeChat keeps the old one
// working only 5 more minutes.
func (m *Model) confirmRenewComponent() {
	m.confirm = &confirmPrompt{
		text: "Renew the component_access_token now? WeChat keeps the current one working only 5 more minutes. (y/n)",
		yes: func() tea.Cmd {
			m.setStatus(levelInfo, "renewing the component_access_token…")
			return m.renewComponentCmd()
		},
	}
}

// exportShown opens the export dialog for the authorizers the table shows.
func (m *Model) exportShown() tea.Cmd {
	items := m.table.Visible()
	if len(items) == 0 {
		m.setStatus(levelWarn, "nothing to export: no authorizer is shown")
		return nil
	}
	return m.openExport(items)
}

func (m *Model) refreshNow(appid string) tea.Cmd {
	if m.refreshing[appid] {
		return nil
	}
	m.refreshing[appid] = true
	m.setStatus(levelInfo, "refreshing the access token of "+appid+" (api_authorizer_token)…")
	return tea.Batch(m.refreshAuthorizerCmd(appid), m.spinCmd())
}

func (m *Model) approve() tea.Cmd {
	if m.opts.Sandbox == nil {
		return nil
	}
	s := m.pendingSession()
	if s == nil {
		m.setStatus(levelWarn, "no authorization is waiting: press a to start one")
		return nil
	}
	if m.auth.approving {
		return nil
	}
	m.auth.approving = true
	m.setStatus(levelInfo, "approving on the simulator's page as the sandbox merchant…")
	return tea.Batch(m.approveCmd(s.ID), m.spinCmd())
}
