package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The doctor screen: the engine's set-up checks (flow.Engine.Doctor) for the platform shown,
// one line each with its fix, run in a command and again on r.

// doctorView is the doctor screen's state.
type doctorView struct {
	running bool
	rep     flow.DoctorReport
	err     error
}

type doctorDoneMsg struct {
	rep flow.DoctorReport
	err error
}

func (m *Model) openDoctor() tea.Cmd {
	if m.componentAppID == "" || m.eng == nil {
		return nil
	}
	if m.screen != screenDoctor {
		m.back = m.screen
	}
	m.screen = screenDoctor
	if m.doctor.running {
		return nil
	}
	m.doctor = doctorView{running: true}
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		rep, err := eng.Doctor(ctx, componentAppID, flow.DoctorOptions{})
		return doctorDoneMsg{rep: rep, err: err}
	}
}

func (m *Model) onDoctorDone(msg doctorDoneMsg) tea.Cmd {
	m.doctor = doctorView{rep: msg.rep, err: msg.err}
	return m.requestReload() // the probe logged an event
}

func (m *Model) doctorKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
	case key.Matches(msg, m.keys.Refresh), key.Matches(msg, m.keys.Doctor):
		return m.openDoctor()
	}
	return nil
}

func (m *Model) renderDoctor(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("Doctor")+st.Dim.Render(" · "+m.componentAppID+" "+m.doctor.rep.PublicURL), w), ""}
	switch {
	case m.doctor.running:
		out = append(out, " "+st.Accent.Render("checking the public URL, the listener, WeChat, the ticket, the clock and the database…"))
		return padLines(out, bodyH)
	case m.doctor.err != nil:
		out = append(out, " "+st.Err.Render("the doctor could not run: "+m.doctor.err.Error()))
		return padLines(out, bodyH)
	}
	for _, c := range m.doctor.rep.Checks {
		mark := st.OK.Render("ok  ")
		switch c.Status {
		case flow.CheckWarn:
			mark = st.Warn.Render("warn")
		case flow.CheckFail:
			mark = st.Err.Render("fail")
		}
		out = append(out, trunc(" "+mark+"  "+st.Bold.Render(padRight(c.Name, 12))+" "+flow.Printable(c.Detail), w))
		if c.Fix != "" && c.Status != flow.CheckOK {
			out = append(out, trunc("                    "+st.Dim.Render("→ "+flow.Printable(c.Fix)), w))
		}
	}
	out = append(out, "", " "+st.Dim.Render("r runs the checks again · esc back · `wxauth doctor` does the same from a shell"))
	return padLines(out, bodyH)
}

func padRight(s string, n int) string {
	for len([]rune(s)) < n {
		s += " "
	}
	return s
}
