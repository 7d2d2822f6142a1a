package tui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// setupChoices are the first-run options.
var setupChoices = []struct{ title, detail string }{
	{"Try the sandbox", "an embedded WeChat simulator with a demo platform in a temporary database: the whole flow, offline, nothing to configure"},
	{"Enter a real platform", "the component appid, secret, Token and EncodingAESKey of your third-party platform (开放平台 → 第三方平台 → 开发资料)"},
}

func (m *Model) setupKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	choose := -1
	switch {
	case key.Matches(msg, m.keys.Up):
		m.setup = max(0, m.setup-1)
	case key.Matches(msg, m.keys.Down):
		m.setup = min(len(setupChoices)-1, m.setup+1)
	case key.Matches(msg, m.keys.ChooseSandbox):
		choose = 0
	case key.Matches(msg, m.keys.ChooseReal):
		choose = 1
	case key.Matches(msg, m.keys.Enter):
		choose = m.setup
	}
	switch choose {
	case 0:
		m.result.WantSandbox = true
		return tea.Quit
	case 1:
		return m.openForm(screenSetup)
	}
	return nil
}

func (m *Model) renderSetup(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{
		"",
		trunc(" "+st.Section.Render("Welcome to wxauth"), w),
		"",
	}
	for _, l := range wrap("No third-party platform is configured in this database yet. wxauth takes a platform through the whole authorization flow: ticket pushes, component token, pre_auth_code, the merchant's approval, and fresh authorizer tokens.", max(10, w-2)) {
		out = append(out, " "+st.Dim.Render(l))
	}
	out = append(out, "")
	for i, c := range setupChoices {
		marker := "  "
		title := st.Bold.Render(itoa(i+1) + "  " + c.title)
		if i == m.setup {
			marker = st.Cursor.Render("▸ ")
			title = st.Accent.Render(itoa(i+1) + "  " + c.title)
		}
		out = append(out, trunc(" "+marker+title, w))
		for _, l := range wrap(c.detail, max(10, w-8)) {
			out = append(out, "       "+st.Dim.Render(l))
		}
		out = append(out, "")
	}
	out = append(out, " "+st.Dim.Render("↑/↓ and enter, or 1 / 2"))
	return padLines(out, bodyH)
}

// formField is one field of the platform form; name is the *flow.FieldError Field it shows.
type formField struct {
	label, name, placeholder string
	secret                   bool
}

var formFields = []formField{
	{"component appid", "component appid", "wx followed by 16 hex digits", false},
	{"appsecret", "appsecret", "32 characters", true},
	{"Token", "token", "3 to 32 characters", true},
	{"EncodingAESKey", "EncodingAESKey", "43 letters and digits", true},
	{"auth domain", "auth domain", "e.g. auth.example.com", false},
	{"public URL", "public URL", "default https://<auth domain>", false},
	{"listen address", "listen address", "default " + flow.DefaultListenAddr, false},
}

// platformForm enters a real platform. Every change is checked with flow.ValidatePlatform;
// the reason shows next to the field it concerns once the user has been there.
type platformForm struct {
	inputs     []textinput.Model
	focus      int
	touched    []bool
	err        *flow.FieldError
	submitErr  string
	submitting bool
	from       screen
}

func newPlatformForm() platformForm {
	f := platformForm{inputs: make([]textinput.Model, len(formFields)), touched: make([]bool, len(formFields))}
	for i, ff := range formFields {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = ff.placeholder
		ti.CharLimit = 256
		if ff.secret {
			ti.EchoMode = textinput.EchoPassword
			ti.EchoCharacter = '•'
		}
		f.inputs[i] = ti
	}
	return f
}

// platform is the form's content as a platform.
func (f *platformForm) platform() flow.Platform {
	v := func(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }
	return flow.Platform{ComponentAppID: v(0), AppSecret: v(1), Token: v(2), EncodingAESKey: v(3),
		AuthDomain: v(4), PublicURL: v(5), ListenAddr: v(6)}
}

// validate checks the form with the engine's rules (no I/O).
func (f *platformForm) validate() {
	p := f.platform()
	f.err = nil
	var fe *flow.FieldError
	if err := flow.ValidatePlatform(&p); errors.As(err, &fe) {
		f.err = fe
	}
}

// fieldIndex is the form row of a FieldError.
func fieldIndex(name string) int {
	for i, ff := range formFields {
		if strings.EqualFold(ff.name, name) {
			return i
		}
	}
	return -1
}

func (m *Model) openForm(from screen) tea.Cmd {
	m.form = newPlatformForm()
	m.form.from = from
	for _, ti := range m.inputs() {
		ti.SetStyles(m.styles.Input)
	}
	m.screen = screenForm
	m.form.validate()
	return m.form.inputs[0].Focus()
}

func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &m.form
	move := func(to int) tea.Cmd {
		f.touched[f.focus] = true
		f.inputs[f.focus].Blur()
		f.focus = (to + len(f.inputs)) % len(f.inputs)
		return f.inputs[f.focus].Focus()
	}
	switch msg.String() {
	case "esc":
		f.inputs[f.focus].Blur()
		m.screen = f.from
		if m.screen == screenSetup && len(m.platforms) > 0 {
			m.screen = screenDashboard
		}
		return nil
	case "tab", "down":
		return move(f.focus + 1)
	case "shift+tab", "up":
		return move(f.focus - 1)
	case "enter":
		if f.focus < len(f.inputs)-1 {
			return move(f.focus + 1)
		}
		return m.submitForm()
	case "ctrl+s":
		return m.submitForm()
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	f.submitErr = ""
	f.validate()
	return cmd
}

func (m *Model) submitForm() tea.Cmd {
	f := &m.form
	if f.submitting {
		return nil
	}
	for i := range f.touched {
		f.touched[i] = true
	}
	f.validate()
	if f.err != nil {
		if i := fieldIndex(f.err.Field); i >= 0 {
			f.inputs[f.focus].Blur()
			f.focus = i
			return f.inputs[i].Focus()
		}
		return nil
	}
	f.submitting = true
	m.setStatus(levelInfo, "saving the platform…")
	return tea.Batch(m.addPlatformCmd(f.platform()), m.spinCmd())
}

func (m *Model) onPlatformAdded(msg platformAddedMsg) tea.Cmd {
	f := &m.form
	f.submitting = false
	if msg.err != nil {
		var fe *flow.FieldError
		if errors.As(msg.err, &fe) {
			f.err = fe
		} else {
			f.submitErr = msg.err.Error()
		}
		m.setStatus(levelErr, "the platform was not saved: "+msg.err.Error())
		return nil
	}
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
	m.componentAppID = msg.p.ComponentAppID
	m.loaded = false
	m.screen = screenDashboard
	m.setStatus(levelOK, "✓ platform "+msg.p.ComponentAppID+" saved. WeChat pushes a ticket every 10 minutes to "+msg.p.EventURL()+"; t asks for one now")
	return m.loadPlatformsCmd()
}

func formWidths(w int) (label, input int) { return 17, max(12, min(44, w-17-4)) }

func (m *Model) renderForm(bodyH int) []string {
	f := &m.form
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("A real third-party platform"), w), ""}
	for _, l := range wrap("From 开放平台 → 管理中心 → 第三方平台 → 开发资料: the Token is the 消息校验Token, the EncodingAESKey the 消息加解密Key, the auth domain the 授权发起页域名. The public URL is how WeChat and browsers reach this listener (a tunnel or reverse proxy to the listen address).", max(10, w-2)) {
		out = append(out, " "+st.Dim.Render(l))
	}
	out = append(out, "")
	errAt := -1
	if f.err != nil {
		errAt = fieldIndex(f.err.Field)
	}
	labelW, inW := formWidths(w)
	for i, ff := range formFields {
		marker := "  "
		if i == f.focus {
			marker = st.Cursor.Render("▸ ")
		}
		line := " " + marker + st.Label.Render(fit(ff.label, labelW)) + fit(f.inputs[i].View(), inW+1)
		reason := ""
		if i == errAt && (f.touched[i] || i == f.focus && f.inputs[i].Value() != "") {
			reason = st.Err.Render("✗ " + f.err.Reason)
		} else if f.touched[i] && (errAt < 0 || i < errAt) {
			reason = st.OK.Render("✓")
		}
		if room := w - ansiWidth(line) - 2; reason != "" && ansiWidth(reason) <= room {
			out = append(out, trunc(line+"  "+reason, w))
		} else {
			out = append(out, trunc(line, w))
			if reason != "" {
				style := st.Err
				if i != errAt {
					style = st.OK
				}
				for _, l := range wrap(ansiStrip(reason), max(10, w-labelW-6)) {
					out = append(out, strings.Repeat(" ", labelW+4)+style.Render(l))
				}
			}
		}
	}
	out = append(out, "")
	switch {
	case f.submitting:
		out = append(out, " "+m.spin.View()+" saving…")
	case f.submitErr != "":
		out = append(out, " "+st.Err.Render(trunc(oneLine(f.submitErr), w-2)))
	default:
		for _, l := range wrap("secrets are masked as you type · tab/↓ next field · enter on the last field or ctrl+s saves · esc back", max(10, w-2)) {
			out = append(out, " "+st.Dim.Render(l))
		}
	}
	return padLines(out, bodyH)
}
