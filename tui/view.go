package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// View renders the whole screen on the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "wxauth"
	if m.componentAppID != "" {
		v.WindowTitle = "wxauth · " + m.componentAppID
	}
	return v
}

// Render is the screen as text (what golden files compare, once stripped of styling).
func (m *Model) Render() string {
	if m.width <= 0 || m.height <= 0 {
		return "starting wxauth…"
	}
	footer := m.renderFooter()
	bodyH := m.bodyHeight()
	var body []string
	switch m.screen {
	case screenLoading:
		body = padLines([]string{"", "  " + m.styles.Dim.Render("reading the database…")}, bodyH)
	case screenSetup:
		body = m.renderSetup(bodyH)
	case screenForm:
		body = m.renderForm(bodyH)
	case screenDashboard:
		body = m.renderDashboard(bodyH)
	case screenAuthorize:
		body = m.renderAuthorize(bodyH)
	case screenDetail:
		body = m.renderDetail(bodyH)
	case screenPlatforms:
		body = m.renderPlatforms(bodyH)
	case screenDoctor:
		body = m.renderDoctor(bodyH)
	case screenPublish:
		body = m.renderPublish(bodyH)
	case screenRelease:
		body = m.renderRelease(bodyH)
	case screenClients:
		body = m.renderClients(bodyH)
	}
	if m.damaged != "" {
		body = m.renderDamaged(bodyH)
	}
	if m.export != nil {
		body = overlay(body, m.renderExport(), m.width)
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, m.renderHeader())
	for _, l := range body {
		lines = append(lines, fit(l, m.width))
	}
	lines = append(lines, footer...)
	return strings.Join(padLines(lines, m.height), "\n")
}

// overlay puts box in the middle of body, replacing whole lines (no splicing of styled text).
func overlay(body, box []string, width int) []string {
	out := append([]string(nil), body...)
	top := max(0, (len(body)-len(box))/2)
	bw := 0
	for _, l := range box {
		bw = max(bw, ansiWidth(l))
	}
	pad := strings.Repeat(" ", max(0, (width-bw)/2))
	for i, l := range box {
		if top+i < len(out) {
			out[top+i] = pad + l
		}
	}
	return out
}

// bodyHeight is what is left between the header and the footer.
func (m *Model) bodyHeight() int {
	return max(1, m.height-1-len(m.renderFooter()))
}

// relayout sizes the table and the inputs after any change.
func (m *Model) relayout() {
	if m.width <= 0 {
		return
	}
	bodyH := m.bodyHeight()
	l := m.dashLayout(bodyH)
	m.table.SetHeight(l.rows)
	if m.evCursor < m.evOffset {
		m.evOffset = m.evCursor
	}
	if m.evCursor >= m.evOffset+l.ev {
		m.evOffset = m.evCursor - l.ev + 1
	}
	m.filter.SetWidth(max(10, min(40, m.width-50)))
	m.auth.biz.SetWidth(authInputWidth(m.width))
	m.auth.cats.SetWidth(authInputWidth(m.width))
	if m.auth.started != nil {
		m.auth.paste.SetWidth(max(10, m.sessionTextWidth()-16))
	}
	_, inW := formWidths(m.width)
	for i := range m.form.inputs {
		m.form.inputs[i].SetWidth(inW)
	}
	if m.export != nil {
		m.export.path.SetWidth(max(10, min(m.width-4, 72)-4-18))
	}
}

var stateNames = map[flow.State]string{
	flow.StateNeedConfig:      "needs configuration",
	flow.StateAwaitTicket:     "waiting for a ticket",
	flow.StateTicketReady:     "ticket ready",
	flow.StateComponentToken:  "ready to authorize",
	flow.StateAuthorizing:     "authorizing",
	flow.StateAuthorized:      "authorized",
	flow.SideTicketStale:      "ticket stale",
	flow.SideIPNotWhitelisted: "IP not whitelisted",
	flow.SideQuotaExhausted:   "quota exhausted",
	flow.SideNeedsReauth:      "re-authorization needed",
}

func (m *Model) renderHeader() string {
	st := m.styles
	left := st.Title.Render(" wxauth")
	if m.componentAppID != "" {
		left += "  " + st.Bold.Render(m.componentAppID)
	}
	if m.opts.Sandbox != nil {
		left += " " + st.Sandbox.Render("sandbox")
	}
	if !m.store.Reachable && !m.store.Since.IsZero() {
		left += " " + st.Warn.Render("⚠ store unreachable since "+m.store.Since.Format("15:04:05")+heldNote(m.store))
	}
	if m.loaded && m.screen != screenSetup && m.screen != screenForm {
		left += " " + st.Badge.Render(stateNames[m.snap.State])
		for _, s := range m.snap.Side {
			left += " " + st.Warn.Render("⚠ "+stateNames[s])
		}
	}
	var right string
	if p, ok := m.platform(); ok {
		addr := p.ListenAddr
		switch why, tried := m.listeners[addr]; {
		case !m.opts.Listen:
		case !tried || why == "starting":
			right = st.Dim.Render("listener " + addr + "…")
		case why == "":
			right = st.OK.Render("● ") + st.Dim.Render("listening "+addr)
		default:
			right = st.Warn.Render("○ not listening on " + addr)
		}
	}
	right = m.apiHeader() + right
	right += st.Dim.Render("  " + m.now.In(m.now.Location()).Format("15:04:05") + " ")
	gap := m.width - ansiWidth(left) - ansiWidth(right)
	if gap < 1 {
		return fit(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// renderFooter is the status line(s) and the help from the key map.
func (m *Model) renderFooter() []string {
	st := m.styles
	var lines []string
	switch {
	case m.confirm != nil:
		for _, l := range wrap(m.confirm.text, max(10, m.width-2)) {
			lines = append(lines, " "+st.Warn.Render(l))
		}
	case m.imp != nil:
		lines = append(lines, m.renderImport())
	case m.status.text != "":
		style := st.levelStyle(m.status.level)
		if m.status.level == levelErr {
			style = st.StatusErr
		}
		text := m.status.text
		if m.status.handCopy == "" && ansiWidth(text) > m.width-1 {
			// Errors carry their remedy: give them up to three lines, other news two.
			ws := wrap(text, max(10, m.width-2))
			n := 2
			if m.status.level == levelErr {
				n = 3
			}
			for _, l := range ws[:min(n, len(ws))] {
				lines = append(lines, " "+style.Render(l))
			}
		} else {
			lines = append(lines, " "+style.Render(trunc(text, m.width-1)))
		}
		lines = append(lines, m.renderHandCopy()...)
	default:
		lines = append(lines, "")
	}
	helpView := m.help.View(m.helpFor())
	lines = append(lines, strings.Split(helpView, "\n")...)
	for i, l := range lines {
		lines[i] = trunc(l, m.width) // bubbles/help can overflow by one item
	}
	return lines
}

// renderHandCopy shows the value to select by hand, each of its lines whole on one line of
// the screen (a wrapped line would put a line break in the selection); a line too long for
// the terminal is cut visibly, with how wide the terminal must be to show it.
func (m *Model) renderHandCopy() []string {
	if m.status.handCopy == "" {
		return nil
	}
	var lines []string
	need := 0
	for _, l := range strings.Split(strings.TrimRight(m.status.handCopy, "\n"), "\n") {
		shown, fits := whole(flow.Printable(l), max(10, m.width-1))
		if !fits {
			need = max(need, ansiWidth(l)+1)
		}
		lines = append(lines, " "+m.styles.HandCopy.Render(shown))
	}
	if need > 0 {
		lines = append(lines, " "+m.styles.Dim.Render("cut to fit: widen the terminal to "+itoa(need)+" columns to select it whole"))
	}
	return lines
}

// helpFor is the key map's bindings that apply to the current screen.
func (m *Model) helpFor() helpKeys {
	k := m.keys
	quit := k.Quit
	if m.focusedInput() != nil {
		quit = k.ForceQuit
	}
	nav := []key.Binding{bind("↑↓ jk", "move"), bind("pgup/pgdn", "page"), bind("g/G", "first/last")}
	switch {
	case m.confirm != nil:
		return helpKeys{short: []key.Binding{k.Yes, k.No}}
	case m.export != nil:
		return helpKeys{short: []key.Binding{bind("←/→", "change"), bind("tab", "next"), bind("enter", "export"), k.Back}}
	}
	switch m.screen {
	case screenSetup:
		return helpKeys{short: []key.Binding{k.ChooseSandbox, k.ChooseReal, bind("enter", "choose"), quit}}
	case screenForm:
		return helpKeys{short: []key.Binding{bind("tab", "next field"), k.Submit, k.Back, k.ForceQuit}}
	case screenPlatforms:
		return helpKeys{short: []key.Binding{bind("enter", "show"), k.EditPlatform, k.AddPlatform, k.Back, quit}}
	case screenDoctor:
		return helpKeys{short: []key.Binding{bind("r", "check again"), k.Back, quit}}
	case screenPublish:
		return helpKeys{short: []key.Binding{bind("r", "reload"), k.Back, quit}}
	case screenRelease:
		return helpKeys{short: []key.Binding{bind("enter", "run release test"), k.Back, quit}}
	case screenClients:
		if m.clients.adding {
			return helpKeys{short: []key.Binding{bind("enter", "add"), bind("tab", "next field"), bind("esc", "cancel"), k.ForceQuit}}
		}
		return helpKeys{short: []key.Binding{k.ClientAdd, k.ClientRotate, k.ClientRemove, k.Copy, k.Back, quit}}
	case screenDetail:
		short := []key.Binding{k.Copy, k.Reveal, k.Refresh, k.Export, k.Back, k.Help}
		return helpKeys{short: short, full: [][]key.Binding{{k.Copy, k.CopyRefresh, k.Reveal}, {k.Refresh, k.Export}, {k.Up, k.Down, k.Back, k.Help, quit}}}
	case screenAuthorize:
		if m.auth.started != nil && m.auth.qrFull {
			return helpKeys{short: []key.Binding{k.CopyLink, k.QR, k.Back, quit}}
		}
		if m.auth.started == nil {
			return helpKeys{short: []key.Binding{bind("enter", "start"), bind("←/→", "account types"), bind("tab", "next field"), k.Back, k.ForceQuit}}
		}
		if m.auth.paste.Focused() {
			return helpKeys{short: []key.Binding{bind("enter", "use it"), bind("esc", "stop typing"), k.ForceQuit}}
		}
		short := enabled(k.Approve, k.OpenBrowser, k.CopyLink, k.QR, k.PasteInput, k.Back, k.Help, k.NewSession)
		return helpKeys{short: short, full: [][]key.Binding{enabled(k.Approve, k.OpenBrowser, k.CopyLink), {k.QR, k.PasteInput, k.NewSession}, {k.Back, k.Help, quit}}}
	}
	if m.filtering {
		return helpKeys{short: []key.Binding{bind("enter", "keep filter"), bind("esc", "clear"), bind("↑/↓", "move"), k.ForceQuit}}
	}
	approve := k.Approve
	approve.SetEnabled(m.opts.Sandbox != nil && m.pendingSession() != nil)
	short := []key.Binding{k.Authorize, k.Copy, bind("enter", "details"), k.Help, quit}
	if approve.Enabled() {
		short = []key.Binding{k.Authorize, approve, k.Copy, k.Help, quit}
	}
	full := [][]key.Binding{
		enabled(k.Authorize, approve, k.PushTicket, k.RenewComponent, k.Platforms, k.Import, quit),
		{k.Enter, k.Copy, k.CopyRefresh, k.Refresh, k.Export, k.Help},
		{k.Filter, k.Sort, k.Reverse, k.FocusNext, k.Doctor, k.Release},
		append(slices.Clone(nav), k.Publish, k.Clients),
	}
	return helpKeys{short: short, full: full}
}

// bind is a help-only binding describing keys handled by a component (inputs, dialogs).
func bind(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}
