package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

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
	run       authRun // waits for the session's code (authorize_run.go)
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

// openAuthorize shows the authorize screen: the running session if there is one, else the
// options of a new one.
func (m *Model) openAuthorize() tea.Cmd {
	if m.componentAppID == "" {
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
		switch {
		case key.Matches(msg, m.keys.Back, m.keys.QR):
			a.qrFull = false
		case key.Matches(msg, m.keys.CopyLink):
			return m.copyCmd("mobile authorization link", a.started.Session.MobileLink)
		case key.Matches(msg, m.keys.Quit):
			return tea.Quit
		}
		return nil
	}
	if a.paste.Focused() {
		return m.pasteKey(msg)
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

// pasteKey edits the paste field; enter hands its content to the run.
func (m *Model) pasteKey(msg tea.KeyPressMsg) tea.Cmd {
	a := &m.auth
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
			if _, err := flow.ParseCategoryIDs(a.cats.Value()); err != nil {
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
	cats, err := flow.ParseCategoryIDs(a.cats.Value())
	if err != nil {
		a.catsErr = err.Error()
		return nil
	}
	a.starting, a.err = true, ""
	a.biz.Blur()
	a.cats.Blur()
	m.setStatus(levelInfo, "creating a pre_auth_code (api_create_preauthcode)…")
	openBrowser, _ := canOpenBrowser(m.opts.Getenv)
	return tea.Batch(m.runAuthorizationCmd(flow.AuthOptions{
		AuthType: authTypes[a.authType].value, BizAppID: strings.TrimSpace(a.biz.Value()), CategoryIDs: cats,
	}, openBrowser), m.spinCmd())
}

// endSession stops waiting for the current session.
func (m *Model) endSession() {
	a := &m.auth
	if a.run != nil {
		a.run.Stop()
	}
	a.started, a.run, a.approving, a.pasteBusy = nil, nil, false, false
	a.qr, a.qrErr, a.qrFull, a.browser = nil, "", false, ""
	a.paste.SetValue("")
	a.paste.Blur()
}
