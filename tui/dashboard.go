package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"wxauth/core/flow"
	"wxauth/storage"
)

func (m *Model) dashboardKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.filtering {
		switch {
		case msg.String() == "enter":
			m.filtering = false
			m.filter.Blur()
			return nil
		case msg.String() == "esc":
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.table.SetFilter("")
			return nil
		case msg.String() == "up":
			m.table.Move(-1)
			return nil
		case msg.String() == "down":
			m.table.Move(1)
			return nil
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		m.table.SetFilter(m.filter.Value())
		return cmd
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	sel, hasSel := m.table.Selected()
	switch {
	case key.Matches(msg, m.keys.Authorize):
		return m.openAuthorize()
	case key.Matches(msg, m.keys.Approve):
		return m.approve()
	case key.Matches(msg, m.keys.PushTicket):
		m.setStatus(levelInfo, "asking WeChat to push a component_verify_ticket (api_start_push_ticket)…")
		return m.pushTicketCmd()
	case key.Matches(msg, m.keys.Refresh):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected")
			return nil
		}
		return m.refreshNow(sel.AppID)
	case key.Matches(msg, m.keys.RenewComponent):
		m.confirm = &confirmPrompt{
			text: "Renew the component_access_token now? WeChat keeps the current one working only 5 more minutes. (y/n)",
			yes: func() tea.Cmd {
				m.setStatus(levelInfo, "renewing the component_access_token…")
				return m.renewComponentCmd()
			},
		}
		return nil
	case key.Matches(msg, m.keys.Platforms):
		return m.openPlatforms()
	case key.Matches(msg, m.keys.Filter):
		m.filtering = true
		m.focus = focusTable
		return m.filter.Focus()
	case key.Matches(msg, m.keys.Sort):
		m.table.CycleSort()
		return nil
	case key.Matches(msg, m.keys.Reverse):
		m.table.Reverse()
		return nil
	case key.Matches(msg, m.keys.FocusNext):
		if m.focus == focusTable {
			m.focus = focusEvents
		} else {
			m.focus = focusTable
		}
		return nil
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
	case key.Matches(msg, m.keys.Enter):
		if m.focus == focusTable && hasSel {
			return m.openDetail(sel.AppID)
		}
	case key.Matches(msg, m.keys.Copy):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected: authorize one with a")
			return nil
		}
		m.setStatus(levelInfo, "fetching a valid access token of "+sel.AppID+"…")
		return m.accessTokenCmd(sel.AppID)
	case key.Matches(msg, m.keys.CopyRefresh):
		if !hasSel {
			m.setStatus(levelWarn, "no authorizer selected")
			return nil
		}
		return m.copyRefresh(sel)
	case key.Matches(msg, m.keys.Export):
		items := m.table.Visible()
		if len(items) == 0 {
			m.setStatus(levelWarn, "nothing to export: no authorizer is shown")
			return nil
		}
		return m.openExport(items)
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

func (m *Model) refreshNow(appid string) tea.Cmd {
	if m.refreshing[appid] {
		return nil
	}
	m.refreshing[appid] = true
	m.setStatus(levelInfo, "refreshing the access token of "+appid+" (api_authorizer_token)…")
	return tea.Batch(m.refreshAuthorizerCmd(appid), m.spinCmd())
}

func (m *Model) copyRefresh(a storage.Authorizer) tea.Cmd {
	if a.RefreshToken == "" {
		m.setStatus(levelWarn, a.AppID+" has no refresh token stored")
		return nil
	}
	return m.copyCmd("refresh token of "+a.AppID, a.RefreshToken)
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
		tl := m.table.Render(m.st, m.width, m.now, m.refreshing)
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
	t := m.st.Section.Render(title)
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
	line := t + m.st.Dim.Render(info)
	switch {
	case m.filtering:
		line += "  " + m.filter.View()
	case m.table.filter != "":
		line += m.st.Dim.Render("  filter: ") + m.st.Accent.Render(m.table.filter) + m.st.Dim.Render(" (esc clears)")
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
		lines = append(lines, "  "+m.st.Dim.Render(l))
	}
	return lines
}

// stage is one box of the pipeline.
type stage struct {
	title        string
	line1, line2 string
}

func (m *Model) stages(narrow bool) []stage {
	s, now := m.snap, m.now
	out := make([]stage, 5)

	// Ticket: age since the last push and validity.
	t := stage{title: "ticket"}
	switch {
	case !m.loaded:
		t.line1 = m.st.Dim.Render("…")
	case s.Ticket == nil:
		t.line1 = m.st.Warn.Render("none yet")
		t.line2 = m.st.Dim.Render("t: ask a push")
	default:
		age := "pushed " + agoShort(now, s.LastPushAt)
		if s.Has(flow.SideTicketStale) {
			t.line1 = m.st.Warn.Render("⚠ " + age)
		} else {
			t.line1 = age
		}
		if left := s.TicketExpiresAt.Sub(now); left > 0 {
			t.line2 = "valid " + countdown(left)
		} else {
			t.line2 = m.st.Err.Render("expired")
		}
	}
	out[0] = t

	// Component token: countdown bar to expiry, and to the next refresh.
	c := stage{title: "component token"}
	if narrow {
		c.title = "comp. token"
	}
	switch {
	case !m.loaded:
	case s.ComponentToken == nil && s.Ticket == nil:
		c.line1 = m.st.Dim.Render("needs ticket")
	case s.ComponentToken == nil:
		c.line1 = m.st.Dim.Render("minting…")
	default:
		tok := s.ComponentToken
		left := tok.ExpiresAt.Sub(now)
		life := tok.ExpiresAt.Sub(tok.ObtainedAt)
		if left <= 0 {
			c.line1 = m.st.Err.Render("expired")
		} else {
			cd := countdown(left)
			w := max(3, m.width/5-3-len(cd)-1)
			c.line1 = bar(m.st, float64(left)/float64(max(life, time.Second)), w) + " " + cd
		}
		if next := s.NextRefreshAt.Sub(now); next > 0 {
			c.line2 = "renew in " + countdown(next)
			if narrow {
				c.line2 = "renew " + countdown(next)
			}
		} else {
			c.line2 = m.st.Warn.Render("renewing now")
		}
	}
	out[1] = c

	// pre_auth_code and the authorization it feeds.
	p := stage{title: "pre_auth_code"}
	a := stage{title: "authorization"}
	sess := s.Session
	if m.auth.started != nil {
		st := m.auth.started.Session
		sess = &st
	}
	switch {
	case sess == nil:
		p.line1 = m.st.Dim.Render("none")
		p.line2 = m.st.Dim.Render("single use")
		a.line1 = m.st.Dim.Render("idle")
		a.line2 = m.st.Dim.Render("a: authorize")
	case sess.State == storage.SessionPending && now.Before(sess.PreAuthExpiresAt):
		p.line1 = countdown(sess.PreAuthExpiresAt.Sub(now)) + " left"
		p.line2 = m.st.Dim.Render("single use")
		a.line1 = m.spin.View() + " waiting"
		a.line2 = "via redirect, push or paste"
		if narrow {
			a.line2 = "approve/paste"
		}
	case sess.State == storage.SessionPending:
		p.line1 = m.st.Warn.Render("expired")
		p.line2 = m.st.Dim.Render("a: new one")
		a.line1 = m.st.Dim.Render("not approved")
	case sess.State == storage.SessionExchanging:
		p.line1 = "used"
		a.line1 = m.spin.View() + " exchanging"
		a.line2 = "code via " + sess.CodeSource
	case sess.State == storage.SessionDone:
		p.line1 = m.st.Dim.Render("used")
		p.line2 = m.st.Dim.Render("single use")
		a.line1 = m.st.OK.Render("✓ via " + sess.CodeSource)
		if narrow {
			a.line1 = m.st.OK.Render("✓ " + sess.CodeSource)
		}
		a.line2 = m.st.Dim.Render(agoShort(now, sess.FinishedAt))
	default:
		p.line1 = m.st.Dim.Render("used")
		a.line1 = m.st.Err.Render("✗ failed")
		a.line2 = m.st.Dim.Render(sess.Error)
	}
	out[2], out[3] = p, a

	// Authorizers: how many, how many healthy.
	z := stage{title: "authorizers"}
	if m.loaded {
		n := len(s.Authorizers)
		z.line1 = itoa(n) + " authorized"
		switch {
		case n == 0:
			z.line2 = m.st.Dim.Render("none yet")
		case s.Healthy == n:
			z.line2 = m.st.OK.Render(itoa(s.Healthy) + " healthy")
		default:
			z.line2 = m.st.Warn.Render(itoa(s.Healthy) + " healthy")
		}
	}
	out[4] = z
	return out
}

// renderPipeline draws the five stages left to right, as bordered boxes.
func (m *Model) renderPipeline() string {
	narrow := m.width < 110
	stages := m.stages(narrow)
	boxes := make([]string, len(stages))
	base := m.width / 5
	for i, s := range stages {
		w := base
		if i == len(stages)-1 {
			w = m.width - base*4
		}
		inner := w - 3 // border and a left margin
		content := strings.Join([]string{
			fit(m.st.BoxTitle.Render(s.title), inner),
			fit(s.line1, inner),
			fit(s.line2, inner),
		}, "\n")
		boxes[i] = m.st.Box.Width(w).PaddingLeft(1).Render(content)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, boxes...)
}

// renderPipelineLine is the pipeline on one line, for small terminals.
func (m *Model) renderPipelineLine() string {
	stages := m.stages(true)
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = m.st.BoxTitle.Render(s.title) + " " + s.line1
	}
	return fit(strings.Join(parts, m.st.Dim.Render(" ▸ ")), m.width)
}

// renderEvents draws the events pane: a title and n lines, newest first. With the focus on it,
// the selected event is shown whole (wrapped), with its explanation and remedy.
func (m *Model) renderEvents(n int) []string {
	title := " Events"
	if m.focus == focusEvents {
		title = "▍Events"
	}
	lines := []string{fit(m.st.Section.Render(title)+m.st.Dim.Render("  newest first · tab to browse"), m.width)}
	if len(m.rows) == 0 {
		lines = append(lines, "  "+m.st.Dim.Render("nothing yet"))
		return padLines(lines, n+1)
	}
	for i := m.evOffset; i < len(m.rows) && len(lines) < n+1; i++ {
		r := m.rows[i]
		glyph := map[string]string{levelErr: "✗", levelWarn: "!", levelOK: "✓"}[r.level]
		if glyph == "" {
			glyph = "·"
		}
		prefix := " " + r.at.In(m.now.Location()).Format("15:04:05") + " " + m.st.levelStyle(r.level).Render(glyph) + " "
		if m.focus == focusEvents && i == m.evCursor {
			w := max(10, m.width-12)
			for j, l := range wrap(r.text, w) {
				if len(lines) >= n+1 {
					break
				}
				if j == 0 {
					lines = append(lines, m.st.Selected.Render(fit(prefix+l, m.width)))
				} else {
					lines = append(lines, m.st.Selected.Render(fit(strings.Repeat(" ", 12)+l, m.width)))
				}
			}
			continue
		}
		lines = append(lines, fit(prefix+r.text, m.width))
	}
	return padLines(lines, n+1)
}
