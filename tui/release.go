package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/release"
)

// releaseState is the release screen: the pre-release checklist and the last test run.
type releaseState struct {
	checks  []release.Check
	report  *release.Report // the last simulated test run, nil before one
	ran     bool            // the API base answered the simulated test
	running bool
	err     string
}

// releaseMsg carries a checklist (and a test run, when one was asked for).
type releaseMsg struct {
	componentAppID string
	checks         []release.Check
	report         release.Report
	tested, ran    bool
	err            error
}

// releaseCmd reads the checklist and, with test, plays the release test (simulator only).
func (m *Model) releaseCmd(test bool) tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		msg := releaseMsg{componentAppID: componentAppID, tested: test}
		msg.checks, msg.err = eng.ReleaseChecklist(ctx, componentAppID)
		if msg.err == nil && test {
			msg.report, msg.ran, msg.err = eng.ReleaseTest(ctx, componentAppID)
		}
		return msg
	}
}

func (m *Model) openRelease() tea.Cmd {
	m.back = m.screen
	m.screen = screenRelease
	return m.releaseCmd(false)
}

func (m *Model) onRelease(msg releaseMsg) tea.Cmd {
	if msg.componentAppID != m.componentAppID {
		return nil
	}
	r := &m.release
	r.running = false
	r.err = ""
	if msg.err != nil {
		r.err = msg.err.Error()
	}
	if msg.checks != nil {
		r.checks = msg.checks
	}
	if msg.tested && msg.err == nil {
		r.ran = msg.ran
		if msg.ran {
			rep := msg.report
			r.report = &rep
			if rep.Passed {
				m.setStatus(levelOK, "✓ release test passed")
			} else {
				m.setStatus(levelErr, "release test failed: see the items")
			}
		} else {
			m.setStatus(levelInfo, "the API base is WeChat itself: start 全网发布 on the open platform")
		}
	}
	return nil
}

func (m *Model) releaseKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
	case key.Matches(msg, m.keys.Enter):
		if m.release.running {
			return nil
		}
		m.release.running = true
		m.setStatus(levelInfo, "running the release test against the simulator…")
		return m.releaseCmd(true)
	}
	return nil
}

func (m *Model) renderRelease(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("全网发布 · pre-release checklist"), w), ""}
	for _, c := range m.release.checks {
		level := st.OK.Render("ok  ")
		switch c.Level {
		case release.Warn:
			level = st.Warn.Render("warn")
		case release.Fail:
			level = st.Err.Render("fail")
		}
		out = append(out, trunc("  "+level+"  "+st.Bold.Render(c.Name)+"  "+c.Msg, w))
		if c.Fix != "" {
			out = append(out, trunc("        "+st.Dim.Render("fix: "+c.Fix), w))
		}
	}
	out = append(out, "", trunc(" "+st.Section.Render("Last release test"), w))
	switch r := m.release; {
	case r.running:
		out = append(out, "  "+st.Dim.Render("running…"))
	case r.report == nil && !r.ran:
		out = append(out, "  "+st.Dim.Render("not run yet: enter plays it against the simulator (the real one starts on the open platform)"))
	case r.report != nil:
		for _, it := range r.report.Items {
			mark := st.OK.Render("pass")
			if !it.OK {
				mark = st.Err.Render("FAIL")
			}
			out = append(out, trunc("  "+mark+"  ["+it.Name+"] "+st.Dim.Render(it.Why), w))
		}
	}
	if m.release.err != "" {
		out = append(out, "", trunc("  "+st.Err.Render(m.release.err), w))
	}
	out = append(out, "", " "+st.Dim.Render("enter runs the release test · esc back"))
	return padLines(out, bodyH)
}
