package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
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
