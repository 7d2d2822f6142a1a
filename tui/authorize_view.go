package tui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"wxauth/core/flow"
)

func authInputWidth(w int) int { return max(10, min(34, w-40)) }

// sessionTextWidth is the width of the session text: what the QR code leaves beside it.
func (m *Model) sessionTextWidth() int {
	if qr := m.auth.qr; len(qr) > 0 && m.width >= 58+ansiWidth(qr[0])+2 && m.bodyHeight() >= len(qr)+1 {
		return m.width - ansiWidth(qr[0]) - 3
	}
	return m.width
}

// renderAuthorize draws the authorize screen.
func (m *Model) renderAuthorize(bodyH int) []string {
	a := &m.auth
	if a.started == nil {
		return padLines(m.renderAuthOptions(), bodyH)
	}
	if a.qrFull {
		return m.renderQRFull(bodyH)
	}
	text := m.renderSessionText()
	qr := a.qr
	qrW := 0
	if len(qr) > 0 {
		qrW = ansiWidth(qr[0])
	}
	textW := 0
	for _, l := range text {
		textW = max(textW, ansiWidth(l))
	}
	switch {
	case len(qr) > 0 && m.width >= 58+qrW+2 && bodyH >= len(qr)+1:
		// Side by side: the text wrapped to what the code leaves.
		text = m.renderSessionTextWidth(m.sessionTextWidth())
		left := padLines(text, max(len(text), len(qr)))
		right := make([]string, 0, len(qr)+1)
		right = append(right, m.styles.Dim.Render(fit("scan with WeChat", qrW)))
		for _, l := range qr {
			right = append(right, m.styles.QR.Render(l))
		}
		out := make([]string, 0, bodyH)
		for i := 0; i < max(len(left), len(right)); i++ {
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			out = append(out, fit(l, m.width-qrW-1)+" "+r)
		}
		return padLines(out, bodyH)
	case len(qr) > 0 && bodyH >= len(text)+len(qr)+1:
		out := append(text, "")
		pad := strings.Repeat(" ", max(0, (m.width-qrW)/2))
		for _, l := range qr {
			out = append(out, pad+m.styles.QR.Render(l))
		}
		return padLines(out, bodyH)
	}
	return padLines(text, bodyH)
}

func (m *Model) renderSessionText() []string { return m.renderSessionTextWidth(m.width) }

func (m *Model) renderSessionTextWidth(w int) []string {
	a := &m.auth
	var lines []string
	lines = append(lines, m.sessionHeader(), "")
	lines = append(lines, m.browserStep(w)...)
	lines = append(lines, m.phoneStep())
	if m.opts.Sandbox != nil {
		lines = append(lines, m.sandboxStep())
	}
	lines = append(lines, m.pasteStep()...)
	lines = append(lines, "")
	lines = append(lines, m.sessionProgress(w)...)
	if a.err != "" {
		for _, l := range wrap(flow.PrintableLines(a.err), max(10, w-2)) {
			lines = append(lines, " "+m.styles.Err.Render(l))
		}
	}
	for i := range lines {
		lines[i] = trunc(lines[i], w)
	}
	return lines
}

// stepIndent lines up the text under a step's label.
var stepIndent = strings.Repeat(" ", 13)

// stepLabel is the numbered label of one way to approve: " 1 Browser   ".
func (m *Model) stepLabel(n, name string) string {
	return " " + m.styles.Accent.Render(n) + " " + m.styles.Bold.Render(fit(name, 9)) + " "
}

// sessionHeader is the title with the pre_auth_code's countdown.
func (m *Model) sessionHeader() string {
	st := m.styles
	head := st.Section.Render(" Authorization waiting for the merchant")
	if left := m.auth.started.Session.PreAuthExpiresAt.Sub(m.now); left > 0 {
		return head + st.Dim.Render(" · pre_auth_code valid "+countdown(left)+", single use")
	}
	return head + st.Err.Render(" · pre_auth_code expired: n starts a new one")
}

// browserStep is what became of opening the launch page, and the page's address.
func (m *Model) browserStep(w int) []string {
	a, st := &m.auth, m.styles
	var lines []string
	browserStyle := st.Warn
	if a.browserOK {
		browserStyle = st.OK
	}
	for i, l := range wrap(a.browser, max(10, w-14)) {
		if i == 0 {
			lines = append(lines, m.stepLabel("1", "Browser")+browserStyle.Render(l))
		} else {
			lines = append(lines, stepIndent+browserStyle.Render(l))
		}
	}
	// The link on one line, for selecting by hand; cut only when it cannot fit.
	link, fits := whole(a.started.LaunchURL, max(10, w-14))
	lines = append(lines, stepIndent+st.Accent.Render(link))
	if !fits {
		return append(lines, stepIndent+st.Dim.Render("cut to fit: y copies it whole · o opens it again"))
	}
	return append(lines, stepIndent+st.Dim.Render("o opens it again · y copies it"))
}

// phoneStep says where the QR code is, or why there is none.
func (m *Model) phoneStep() string {
	a, st := &m.auth, m.styles
	label := m.stepLabel("2", "Phone")
	if a.qrErr != "" {
		return label + st.Warn.Render("no QR code: "+a.qrErr)
	}
	qrW, qrH := 0, len(a.qr)
	if qrH > 0 {
		qrW = ansiWidth(a.qr[0])
	}
	switch {
	case m.width >= 58+qrW+2 && m.bodyHeight() >= qrH+1:
		return label + "scan the QR code with WeChat →"
	case m.width >= qrW && m.bodyHeight() >= qrH+1:
		return label + "press m for the QR code to scan with WeChat"
	}
	return label + st.Warn.Render(fmt.Sprintf("the QR code needs %d×%d cells: enlarge the terminal", qrW, qrH+2))
}

// sandboxStep offers the sandbox merchant's approval.
func (m *Model) sandboxStep() string {
	if m.auth.approving {
		return m.stepLabel("3", "Sandbox") + m.spin.View() + " approving as the sandbox merchant…"
	}
	return m.stepLabel("3", "Sandbox") + "press " + m.styles.Accent.Render("x") + " to approve as the sandbox merchant"
}

// pasteStep is the paste field.
func (m *Model) pasteStep() []string {
	n := "3"
	if m.opts.Sandbox != nil {
		n = "4"
	}
	return []string{
		m.stepLabel(n, "Paste") + "the address reached after approving, or the code (" + m.styles.Accent.Render("i") + ")",
		stepIndent + m.auth.paste.View(),
	}
}

// sessionProgress is the spinner line: exchanging a pasted code, or waiting for one.
func (m *Model) sessionProgress(w int) []string {
	a := &m.auth
	switch s := a.started.Session; {
	case a.pasteBusy:
		return []string{" " + m.spin.View() + " exchanging the pasted code…"}
	case s.State == "" || s.State == flow.SessionPending:
		var lines []string
		for i, l := range wrap("waiting for the code: the redirect to the listener, the authorized push, or a paste", max(10, w-4)) {
			if i == 0 {
				lines = append(lines, " "+m.spin.View()+" "+m.styles.Dim.Render(l))
			} else {
				lines = append(lines, "   "+m.styles.Dim.Render(l))
			}
		}
		return lines
	}
	return nil
}

func (m *Model) renderAuthOptions() []string {
	a := &m.auth
	st := m.styles
	w := m.width
	out := []string{
		trunc(st.Section.Render(" Authorize an account"), w),
		"",
	}
	for _, l := range wrap("The merchant approves on WeChat's page (browser or phone); wxauth captures the code, exchanges it and keeps the account's tokens fresh.", max(10, w-2)) {
		out = append(out, " "+st.Dim.Render(l))
	}
	out = append(out, "")
	row := func(i int, name, value, hint string) string {
		marker := "  "
		if a.field == i {
			marker = st.Cursor.Render("▸ ")
		}
		line := " " + marker + st.Label.Render(fit(name, 16)) + value
		if hint != "" {
			line += "  " + hint
		}
		return trunc(line, w)
	}
	at := authTypes[a.authType]
	typ := "‹ " + at.label + " (auth_type " + itoa(at.value) + ") ›"
	if a.field == 0 {
		typ = st.Accent.Render(typ)
	}
	inW := authInputWidth(w)
	out = append(out, row(0, "account types", typ, ""))
	out = append(out, row(1, "biz_appid", fit(a.biz.View(), inW+1), st.Dim.Render("only it may authorize")))
	catsHint := st.Dim.Render("ids, e.g. 1,17,18")
	if a.catsErr != "" {
		catsHint = st.Err.Render(a.catsErr)
	}
	out = append(out, row(2, "permission sets", fit(a.cats.View(), inW+1), catsHint))
	out = append(out, "")
	if a.starting {
		out = append(out, " "+m.spin.View()+" creating the pre_auth_code…")
	} else {
		for i, l := range wrap("creates the pre_auth_code and the links · ←/→ account types · tab next field · esc back", max(10, w-8)) {
			if i == 0 {
				out = append(out, " "+st.Accent.Render("enter")+" "+st.Dim.Render(l))
			} else {
				out = append(out, "       "+st.Dim.Render(l))
			}
		}
	}
	if a.err != "" {
		out = append(out, "")
		for _, l := range wrap(flow.PrintableLines(a.err), max(10, w-2)) {
			out = append(out, " "+st.Err.Render(l))
		}
	}
	for i := range out {
		out[i] = trunc(out[i], w)
	}
	return out
}

// renderQRFull shows only the QR code, centred, with the link under it.
func (m *Model) renderQRFull(bodyH int) []string {
	a := &m.auth
	if len(a.qr) == 0 {
		return padLines([]string{" " + m.styles.Warn.Render("no QR code: "+a.qrErr)}, bodyH)
	}
	qrW := ansiWidth(a.qr[0])
	if qrW > m.width || len(a.qr)+1 > bodyH {
		var lines []string
		for _, l := range wrap(fmt.Sprintf("The QR code needs %d×%d cells; this terminal gives %d×%d. Enlarge it, or open this link on the phone:", qrW, len(a.qr)+1, m.width, bodyH), max(10, m.width-2)) {
			lines = append(lines, " "+m.styles.Warn.Render(l))
		}
		link, fits := whole(a.started.Session.MobileLink, max(10, m.width-2))
		lines = append(lines, "", " "+link)
		if !fits {
			lines = append(lines, " "+m.styles.Dim.Render("cut to fit: y copies it whole"))
		}
		return padLines(lines, bodyH)
	}
	var out []string
	for _, l := range a.qr {
		out = append(out, m.styles.QR.Render(l))
	}
	out = append(out, m.styles.Dim.Render("scan with WeChat · m or esc goes back"))
	block := lipgloss.PlaceHorizontal(m.width, lipgloss.Center, strings.Join(out, "\n"))
	return padLines(strings.Split(block, "\n"), bodyH)
}
