package tui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"wxauth/core/flow"
)

// authTypes are the auth_type values of the authorization links, most common first.
var authTypes = []struct {
	value int
	label string
}{
	{3, "official accounts and mini programs"},
	{2, "mini programs only"},
	{1, "official accounts only"},
	{6, "all: accounts, mini programs, Channels"},
	{5, "Channels (视频号) only"},
	{4, "mini-program 推客 accounts"},
	{8, "带货助手 accounts"},
}

// authPanel is the state of the authorize screen: the options, then the running session.
type authPanel struct {
	field     int // 0 account types, 1 biz_appid, 2 permission sets
	authType  int // index into authTypes
	biz, cats textinput.Model
	catsErr   string

	starting  bool
	started   *flow.Authorization
	cancel    context.CancelFunc // stops waiting for the session
	paste     textinput.Model
	pasteBusy bool
	approving bool
	qr        []string
	qrErr     string
	qrFull    bool
	browser   string // what became of opening the browser
	browserOK bool
	err       string // why the last attempt failed, with the remedy
}

func newAuthPanel() authPanel {
	a := authPanel{biz: textinput.New(), cats: textinput.New(), paste: textinput.New()}
	a.biz.Prompt, a.cats.Prompt, a.paste.Prompt = "", "", "> "
	a.biz.Placeholder = "any account (optional)"
	a.cats.Placeholder = "all (optional)"
	a.paste.Placeholder = "https://…/callback?auth_code=… or queryauthcode@@@…"
	a.biz.CharLimit, a.cats.CharLimit = 32, 200
	return a
}

// parseCategories reads "1, 17 18" into permission-set ids.
func parseCategories(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '|' })
	ids := make([]int, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a permission-set id", f)
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// openAuthorize shows the authorize screen: the running session if there is one, else the
// options of a new one.
func (m *Model) openAuthorize() tea.Cmd {
	if m.appid == "" {
		return nil
	}
	m.screen = screenAuthorize
	m.auth.qrFull = false
	if m.auth.started == nil {
		m.auth.field = 0
		m.auth.biz.Blur()
		m.auth.cats.Blur()
	}
	return nil
}

func (m *Model) authorizeKey(msg tea.KeyPressMsg) tea.Cmd {
	a := &m.auth
	if a.started == nil {
		return m.authOptionsKey(msg)
	}
	if a.qrFull {
		if key.Matches(msg, m.keys.Back, m.keys.QR) {
			a.qrFull = false
		} else if key.Matches(msg, m.keys.Quit) {
			return tea.Quit
		}
		return nil
	}
	if a.paste.Focused() {
		switch msg.String() {
		case "enter":
			input := strings.TrimSpace(a.paste.Value())
			if input == "" || a.pasteBusy {
				return nil
			}
			a.pasteBusy = true
			a.err = ""
			m.setStatus(levelInfo, "exchanging the pasted code (api_query_auth)…")
			return tea.Batch(m.pasteCmd(input), m.spinCmd())
		case "esc":
			a.paste.Blur()
			return nil
		}
		var cmd tea.Cmd
		a.paste, cmd = a.paste.Update(msg)
		return cmd
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Approve):
		return m.approve()
	case key.Matches(msg, m.keys.OpenBrowser):
		return m.openBrowserCmd(a.started.LaunchURL)
	case key.Matches(msg, m.keys.CopyLink):
		return m.copyCmd("authorization link", a.started.LaunchURL)
	case key.Matches(msg, m.keys.QR):
		a.qrFull = true
	case key.Matches(msg, m.keys.PasteInput):
		return a.paste.Focus()
	case key.Matches(msg, m.keys.NewSession):
		m.endSession()
		m.setStatus(levelInfo, "the previous link stays valid until its pre_auth_code expires; choose the options of a new one")
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
		m.setStatus(levelInfo, "the authorization keeps waiting in the background; a shows it again")
	}
	return nil
}

func (m *Model) authOptionsKey(msg tea.KeyPressMsg) tea.Cmd {
	a := &m.auth
	inputs := []*textinput.Model{nil, &a.biz, &a.cats}
	focusField := func(f int) tea.Cmd {
		a.field = (f + 3) % 3
		a.biz.Blur()
		a.cats.Blur()
		if in := inputs[a.field]; in != nil {
			return in.Focus()
		}
		return nil
	}
	switch msg.String() {
	case "tab", "down":
		return focusField(a.field + 1)
	case "shift+tab", "up":
		return focusField(a.field - 1)
	case "enter":
		return m.startAuthorization()
	case "esc":
		a.biz.Blur()
		a.cats.Blur()
		m.screen = screenDashboard
		return nil
	}
	if in := inputs[a.field]; in != nil {
		var cmd tea.Cmd
		*in, cmd = in.Update(msg)
		if a.field == 2 {
			a.catsErr = ""
			if _, err := parseCategories(a.cats.Value()); err != nil {
				a.catsErr = err.Error()
			}
		}
		return cmd
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Left):
		a.authType = (a.authType + len(authTypes) - 1) % len(authTypes)
	case key.Matches(msg, m.keys.Right):
		a.authType = (a.authType + 1) % len(authTypes)
	}
	return nil
}

func (m *Model) startAuthorization() tea.Cmd {
	a := &m.auth
	if a.starting {
		return nil
	}
	cats, err := parseCategories(a.cats.Value())
	if err != nil {
		a.catsErr = err.Error()
		return nil
	}
	a.starting, a.err = true, ""
	a.biz.Blur()
	a.cats.Blur()
	m.setStatus(levelInfo, "creating a pre_auth_code (api_create_preauthcode)…")
	return tea.Batch(m.startAuthCmd(flow.AuthOptions{
		AuthType: authTypes[a.authType].value, BizAppID: strings.TrimSpace(a.biz.Value()), CategoryIDs: cats,
	}), m.spinCmd())
}

// endSession stops waiting for the current session.
func (m *Model) endSession() {
	a := &m.auth
	if a.cancel != nil {
		a.cancel()
	}
	a.started, a.cancel, a.approving, a.pasteBusy = nil, nil, false, false
	a.qr, a.qrErr, a.qrFull, a.browser = nil, "", false, ""
	a.paste.SetValue("")
	a.paste.Blur()
}

func (m *Model) updateAuthMsg(msg tea.Msg) tea.Cmd {
	a := &m.auth
	switch msg := msg.(type) {
	case authStartedMsg:
		a.starting = false
		if msg.err != nil {
			a.err = msg.err.Error()
			m.setStatus(levelErr, "the authorization could not start: "+firstLine(a.err))
			return m.requestReload()
		}
		m.endSession()
		auth := msg.auth
		a.started = &auth
		a.err = ""
		if lines, err := qrLines(auth.Session.MobileLink); err != nil {
			a.qrErr = err.Error()
		} else {
			a.qr = lines
		}
		ctx, cancel := context.WithCancel(m.ctx)
		a.cancel = cancel
		cmds := []tea.Cmd{m.waitSessionCmd(ctx, auth.Session.ID), m.spinCmd(), m.requestReload()}
		if ok, why := canOpenBrowser(m.opts.Getenv); ok {
			a.browser = "opening the launch page in your browser…"
			cmds = append(cmds, m.openBrowserCmd(auth.LaunchURL))
		} else {
			a.browser = "not opened: " + why + ". Open the link yourself"
		}
		m.setStatus(levelInfo, "waiting for the merchant to approve")
		return tea.Batch(cmds...)
	case browserMsg:
		if msg.err != nil {
			a.browser, a.browserOK = "could not open a browser: "+msg.err.Error(), false
		} else {
			a.browser, a.browserOK = "opened in your browser", true
		}
		return nil
	case approveMsg:
		a.approving = false
		if msg.err != nil {
			m.setStatus(levelErr, "the sandbox merchant could not approve: "+msg.err.Error())
			return nil
		}
		m.setStatus(levelInfo, "the sandbox merchant approved; exchanging the code…")
		return m.requestReload()
	case sessionDoneMsg:
		if a.started == nil || msg.id != a.started.Session.ID {
			return nil // a session given up on
		}
		if msg.err != nil {
			if errors.Is(msg.err, context.Canceled) {
				return nil
			}
			m.endSession()
			a.err = msg.err.Error()
			m.setStatus(levelErr, firstLine(a.err))
			return m.requestReload()
		}
		return m.authorized(msg.sess.AuthorizerAppID, "the "+msg.sess.CodeSource)
	case pasteResultMsg:
		a.pasteBusy = false
		if msg.err != nil {
			a.err = msg.err.Error()
			m.setStatus(levelErr, "the pasted code did not work: "+firstLine(a.err))
			return nil
		}
		return m.authorized(msg.a.AppID, "the paste")
	case authorizerLoadedMsg:
		if msg.err != nil {
			return nil
		}
		name := msg.a.AppID
		if msg.a.NickName != "" {
			name = msg.a.NickName + " (" + msg.a.AppID + ")"
		}
		left := ""
		if !msg.a.AccessExpiresAt.IsZero() {
			left = "; its access token is valid " + countdown(msg.a.AccessExpiresAt.Sub(m.now))
		}
		m.setStatus(levelOK, "✓ "+name+" authorized"+left+" — c copies it, enter shows it")
	}
	return nil
}

// authorized finishes the session: back to the dashboard with the new row selected.
func (m *Model) authorized(appid, source string) tea.Cmd {
	m.endSession()
	m.screen = screenDashboard
	m.focus = focusTable
	m.selectOn = appid
	m.table.Select(appid)
	m.setStatus(levelOK, "✓ "+appid+" authorized (code from "+source+")")
	return tea.Batch(m.requestReload(), m.loadAuthorizerCmd(appid))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

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
		right = append(right, m.st.Dim.Render(fit("scan with WeChat", qrW)))
		for _, l := range qr {
			right = append(right, m.st.QR.Render(l))
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
			out = append(out, pad+m.st.QR.Render(l))
		}
		return padLines(out, bodyH)
	}
	return padLines(text, bodyH)
}

func (m *Model) renderSessionText() []string { return m.renderSessionTextWidth(m.width) }

func (m *Model) renderSessionTextWidth(w int) []string {
	a := &m.auth
	s := a.started.Session
	st := m.st
	var out []string
	add := func(l string) { out = append(out, trunc(l, w)) }
	left := s.PreAuthExpiresAt.Sub(m.now)
	head := st.Section.Render(" Authorization waiting for the merchant")
	if left > 0 {
		head += st.Dim.Render(" · pre_auth_code valid " + countdown(left) + ", single use")
	} else {
		head += st.Err.Render(" · pre_auth_code expired: n starts a new one")
	}
	add(head)
	add("")
	indent := strings.Repeat(" ", 13)
	label := func(n, name string) string {
		return " " + st.Accent.Render(n) + " " + st.Bold.Render(fit(name, 9)) + " "
	}
	browserStyle := st.Warn
	if a.browserOK {
		browserStyle = st.OK
	}
	for i, l := range wrap(a.browser, max(10, w-14)) {
		if i == 0 {
			add(label("1", "Browser") + browserStyle.Render(l))
		} else {
			add(indent + browserStyle.Render(l))
		}
	}
	for _, l := range wrap(a.started.LaunchURL, max(10, w-14)) {
		add(indent + st.Accent.Render(l))
	}
	add(indent + st.Dim.Render("o opens it again · y copies it"))
	switch {
	case a.qrErr != "":
		add(label("2", "Phone") + st.Warn.Render("no QR code: "+a.qrErr))
	default:
		qrW, qrH := 0, len(a.qr)
		if qrH > 0 {
			qrW = ansiWidth(a.qr[0])
		}
		if m.width >= 58+qrW+2 && m.bodyHeight() >= qrH+1 {
			add(label("2", "Phone") + "scan the QR code with WeChat →")
		} else if m.width >= qrW && m.bodyHeight() >= qrH+1 {
			add(label("2", "Phone") + "press m for the QR code to scan with WeChat")
		} else {
			add(label("2", "Phone") + st.Warn.Render(fmt.Sprintf("the QR code needs %d×%d cells: enlarge the terminal", qrW, qrH+2)))
		}
	}
	if m.opts.Sandbox != nil {
		if a.approving {
			add(label("3", "Sandbox") + m.spin.View() + " approving as the sandbox merchant…")
		} else {
			add(label("3", "Sandbox") + "press " + st.Accent.Render("x") + " to approve as the sandbox merchant")
		}
	}
	n := "3"
	if m.opts.Sandbox != nil {
		n = "4"
	}
	add(label(n, "Paste") + "the address reached after approving, or the code (" + st.Accent.Render("i") + ")")
	add(indent + m.auth.paste.View())
	add("")
	switch {
	case a.pasteBusy:
		add(" " + m.spin.View() + " exchanging the pasted code…")
	case s.State == "" || s.State == "pending":
		for i, l := range wrap("waiting for the code: the redirect to the listener, the authorized push, or a paste", max(10, w-4)) {
			if i == 0 {
				add(" " + m.spin.View() + " " + st.Dim.Render(l))
			} else {
				add("   " + st.Dim.Render(l))
			}
		}
	}
	if a.err != "" {
		for _, l := range wrap(a.err, max(10, w-2)) {
			add(" " + st.Err.Render(l))
		}
	}
	return out
}

func (m *Model) renderAuthOptions() []string {
	a := &m.auth
	st := m.st
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
		for _, l := range wrap(a.err, max(10, w-2)) {
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
		return padLines([]string{" " + m.st.Warn.Render("no QR code: "+a.qrErr)}, bodyH)
	}
	qrW := ansiWidth(a.qr[0])
	if qrW > m.width || len(a.qr)+1 > bodyH {
		lines := []string{" " + m.st.Warn.Render(fmt.Sprintf("The QR code needs %d×%d cells; this terminal gives %d×%d. Enlarge it, or open this link on the phone:", qrW, len(a.qr)+1, m.width, bodyH)), ""}
		for _, l := range wrap(a.started.Session.MobileLink, max(10, m.width-2)) {
			lines = append(lines, " "+l)
		}
		return padLines(lines, bodyH)
	}
	var out []string
	for _, l := range a.qr {
		out = append(out, m.st.QR.Render(l))
	}
	out = append(out, m.st.Dim.Render("scan with WeChat · m or esc goes back"))
	block := lipgloss.PlaceHorizontal(m.width, lipgloss.Center, strings.Join(out, "\n"))
	return padLines(strings.Split(block, "\n"), bodyH)
}
