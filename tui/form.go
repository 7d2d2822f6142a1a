package tui

import (
	"errors"
	"slices"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The platform form: a new platform (first run, or n on the platforms screen), or the edit of
// one (e on the platforms screen), checked field by field with the engine's rules.

// formField is one field of the platform form; name is the *flow.FieldError Field it shows.
type formField struct {
	label, name, placeholder string
	secret                   bool
}

var formFields = []formField{
	{"component appid", flow.FieldAppID, "wx followed by 16 hex digits", false},
	{"appsecret", flow.FieldAppSecret, "32 characters", true},
	{"Token", flow.FieldToken, "3 to 32 characters", true},
	{"EncodingAESKey", flow.FieldAESKey, "43 letters and digits", true},
	{"auth domain", flow.FieldAuthDomain, "e.g. auth.example.com", false},
	{"public URL", flow.FieldPublicURL, "default https://<auth domain>", false},
	{"listen address", flow.FieldListenAddr, "default " + flow.DefaultListenAddr, false},
	{"API base", flow.FieldAPIBase, "default https://api.weixin.qq.com", false},
	{"login base", flow.FieldLoginBase, "default https://mp.weixin.qq.com", false},
	{"mobile base", flow.FieldMobileBase, "default https://open.weixin.qq.com", false},
}

// The form's rows, by what they hold.
const (
	rowAppID = iota
	rowAppSecret
	rowToken
	rowAESKey
	rowAuthDomain
	rowPublicURL
	rowListenAddr
	rowAPIBase
	rowLoginBase
	rowMobileBase
)

// platformForm enters a real platform, or edits one (orig set: the appid is fixed, a secret
// left blank stays as it is). Every change is checked with flow.ValidatePlatform; the reason
// shows next to the field it concerns once the user has been there.
type platformForm struct {
	inputs     []textinput.Model
	focus      int
	touched    []bool
	err        *flow.FieldError
	submitErr  string
	submitting bool
	from       screen
	orig       *flow.Platform
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

// newEditForm is the form filled with p's settings, its secrets blank (= unchanged).
func newEditForm(p flow.Platform) platformForm {
	f := newPlatformForm()
	f.orig = &p
	for i, v := range []string{p.ComponentAppID, "", "", "", p.AuthDomain, p.PublicURL, p.ListenAddr, p.APIBase, p.LoginBase, p.MobileBase} {
		f.inputs[i].SetValue(v)
		if formFields[i].secret {
			f.inputs[i].Placeholder = "unchanged (type a new one to replace it)"
		}
	}
	return f
}

func (f *platformForm) value(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }

// platform is the form's content as a platform: in edit mode, the stored one with the
// form's changes applied.
func (f *platformForm) platform() flow.Platform {
	if f.orig != nil {
		return f.patch().Apply(*f.orig)
	}
	v := f.value
	return flow.Platform{ComponentAppID: v(rowAppID), AppSecret: v(rowAppSecret), Token: v(rowToken), EncodingAESKey: v(rowAESKey),
		AuthDomain: v(rowAuthDomain), PublicURL: v(rowPublicURL), ListenAddr: v(rowListenAddr),
		APIBase: v(rowAPIBase), LoginBase: v(rowLoginBase), MobileBase: v(rowMobileBase)}
}

// patch is what the edit changes: the secrets typed, and the settings that differ from the
// stored ones (so an unchanged public URL follows a new domain, as on the command line).
func (f *platformForm) patch() flow.PlatformPatch {
	var pp flow.PlatformPatch
	if f.orig == nil {
		return pp
	}
	o := f.orig
	for _, r := range []struct {
		row  int
		orig string
		dst  **string
	}{
		{rowAppSecret, "", &pp.AppSecret}, {rowToken, "", &pp.Token}, {rowAESKey, "", &pp.EncodingAESKey},
		{rowAuthDomain, o.AuthDomain, &pp.AuthDomain}, {rowPublicURL, o.PublicURL, &pp.PublicURL},
		{rowListenAddr, o.ListenAddr, &pp.ListenAddr}, {rowAPIBase, o.APIBase, &pp.APIBase},
		{rowLoginBase, o.LoginBase, &pp.LoginBase}, {rowMobileBase, o.MobileBase, &pp.MobileBase},
	} {
		if v := f.value(r.row); v != r.orig {
			*r.dst = &v
		}
	}
	return pp
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

// openEditForm edits platform p: the same form, filled in.
func (m *Model) openEditForm(p flow.Platform) tea.Cmd {
	m.form = newEditForm(p)
	m.form.from = m.screen
	return m.showForm(rowAppSecret)
}

func (m *Model) openForm(from screen) tea.Cmd {
	m.form = newPlatformForm()
	m.form.from = from
	return m.showForm(rowAppID)
}

// showForm shows the form with the cursor on row focus.
func (m *Model) showForm(focus int) tea.Cmd {
	for _, ti := range m.inputs() {
		ti.SetStyles(m.styles.Input)
	}
	m.screen = screenForm
	m.form.focus = focus
	m.form.validate()
	m.relayout()
	return m.form.inputs[focus].Focus()
}

func (m *Model) formKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &m.form
	move := func(delta int) tea.Cmd {
		f.touched[f.focus] = true
		f.inputs[f.focus].Blur()
		n := len(f.inputs)
		f.focus = (f.focus + delta + n) % n
		if f.orig != nil && f.focus == rowAppID { // the appid is the platform: it does not change
			f.focus = (f.focus + delta + n) % n
		}
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
		return move(1)
	case "shift+tab", "up":
		return move(-1)
	case "enter":
		if f.focus < len(f.inputs)-1 {
			return move(1)
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
	if f.orig != nil {
		return tea.Batch(m.patchPlatformCmd(f.orig.ComponentAppID, f.patch()), m.spinCmd())
	}
	return tea.Batch(m.addPlatformCmd(f.platform()), m.spinCmd())
}

// formSaved ends the form's submission: false (and the error next to its field, or below
// the form) when the engine refused it.
func (m *Model) formSaved(err error) bool {
	f := &m.form
	f.submitting = false
	if err != nil {
		var fe *flow.FieldError
		if errors.As(err, &fe) {
			f.err = fe
		} else {
			f.submitErr = err.Error()
		}
		m.setStatus(levelErr, "the platform was not saved: "+err.Error())
		return false
	}
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
	return true
}

func (m *Model) onPlatformUpdated(msg platformUpdatedMsg) tea.Cmd {
	if !m.formSaved(msg.err) {
		return nil
	}
	m.screen = m.form.from
	if len(msg.changes) == 0 {
		m.setStatus(levelInfo, "platform "+msg.p.ComponentAppID+": nothing changed")
		return nil
	}
	names := make([]string, len(msg.changes))
	for i, c := range msg.changes {
		names[i] = c.Field
	}
	m.setStatus(levelOK, "✓ platform "+msg.p.ComponentAppID+" updated ("+strings.Join(names, ", ")+"); its accounts and tokens are kept"+changeAdvice(msg.p, names))
	return m.loadPlatformsCmd()
}

// changeAdvice is what a change asks of the user beyond the console.
func changeAdvice(p flow.Platform, fields []string) string {
	var out string
	if slices.Contains(fields, flow.FieldToken) || slices.Contains(fields, flow.FieldAESKey) {
		out += " · set the same 消息校验Token / 消息加解密Key on the open platform (开发配置)"
	}
	if slices.Contains(fields, flow.FieldAuthDomain) || slices.Contains(fields, flow.FieldPublicURL) {
		out += " · register 授权事件接收URL " + p.EventURL() + " and 授权发起页域名 " + p.AuthDomain
	}
	if slices.Contains(fields, flow.FieldListenAddr) {
		out += " · a running `wxauth serve` listens on " + p.ListenAddr + " once restarted"
	}
	return out
}

func (m *Model) onPlatformAdded(msg platformAddedMsg) tea.Cmd {
	if !m.formSaved(msg.err) {
		return nil
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
	title, intro := "A real third-party platform", "From 开放平台 → 管理中心 → 第三方平台 → 开发资料: the Token is the 消息校验Token, the EncodingAESKey the 消息加解密Key, the auth domain the 授权发起页域名. The public URL is how WeChat and browsers reach this listener (a tunnel or reverse proxy to the listen address)."
	if f.orig != nil {
		title = "Platform " + f.orig.ComponentAppID
		intro = "Only what you change is saved; a secret left blank stays as it is. The accounts, the ticket and every token stay. A new Token or EncodingAESKey must be set on the open platform (开发配置) too."
	}
	out := []string{trunc(" "+st.Section.Render(title), w), ""}
	for _, l := range wrap(intro, max(10, w-2)) {
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
		for _, l := range wrap("secrets are masked as you type · tab/↓ next field · ctrl+s saves · esc back", max(10, w-2)) {
			out = append(out, " "+st.Dim.Render(l))
		}
	}
	return padLines(out, bodyH)
}
