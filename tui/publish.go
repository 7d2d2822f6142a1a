package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/core/publish"
)

// The sinks screen (P): the Redis sinks tokens are published into, with the health the
// publishing process (this console or a serve holding the lease) last stored: state, last
// write, lag, keys, last error and the last key another program overwrote, with the remedy.
// Sinks are added and removed with `wxauth publish`; the screen reloads every tick.

type publishView struct {
	loaded bool
	sinks  []flow.Sink
	err    error
}

type sinksMsg struct {
	sinks []flow.Sink
	err   error
}

func (m *Model) openPublish() tea.Cmd {
	if m.eng == nil {
		return nil
	}
	if m.screen != screenPublish {
		m.back = m.screen
	}
	m.screen = screenPublish
	return m.loadSinks()
}

func (m *Model) loadSinks() tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		sinks, err := eng.Sinks(ctx)
		return sinksMsg{sinks: sinks, err: err}
	}
}

func (m *Model) onSinks(msg sinksMsg) tea.Cmd {
	m.publish = publishView{loaded: true, sinks: msg.sinks, err: msg.err}
	return nil
}

func (m *Model) publishKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
	case key.Matches(msg, m.keys.Refresh), key.Matches(msg, m.keys.Publish):
		return m.loadSinks()
	}
	return nil
}

func (m *Model) renderPublish(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("Redis sinks")+st.Dim.Render(" · tokens written into the keys your SDK reads"), w), ""}
	switch {
	case !m.publish.loaded:
		out = append(out, " "+st.Dim.Render("loading…"))
		return padLines(out, bodyH)
	case m.publish.err != nil:
		out = append(out, " "+st.Err.Render("reading the sinks failed: "+m.publish.err.Error()))
		return padLines(out, bodyH)
	case len(m.publish.sinks) == 0:
		out = append(out, " No sink yet. Add one from a shell:",
			"   "+st.Accent.Render("wxauth publish add REDIS_URL --format silenceper|wxjava|wechatpy|powerwechat"),
			" "+st.Dim.Render("(the URL may come from $WXAUTH_REDIS_URL or stdin instead, to keep the password out of ps)"))
		return padLines(out, bodyH)
	}
	for _, s := range m.publish.sinks {
		out = append(out, m.sinkLines(s)...)
	}
	out = append(out, "", " "+st.Dim.Render("r reloads · esc back · `wxauth publish list|test|remove` from a shell"))
	return padLines(out, bodyH)
}

// sinkLines renders one sink: its header with the state, then its health.
func (m *Model) sinkLines(s flow.Sink) []string {
	st, w, now, h := m.styles, m.width, m.now, s.Health
	state := publish.State(now, h)
	mark := st.OK.Render(state)
	switch state {
	case publish.StateFailing:
		mark = st.Err.Render(state)
	case publish.StateWaiting, publish.StateStale:
		mark = st.Warn.Render(state)
	}
	where := "every platform"
	if s.ComponentAppID != "" {
		where = s.ComponentAppID
	}
	lines := []string{trunc(fmt.Sprintf(" %s  %s  %s  %s  %s", st.Bold.Render(fmt.Sprintf("#%d", s.ID)), mark,
		padRight(s.Format, 11), publish.MaskURL(s.URL), st.Dim.Render(where)), w)}
	if h.At.IsZero() {
		lines = append(lines, trunc("      "+st.Dim.Render("no process has published to it yet (the lease holder does: this console or a serve)"), w))
		return lines
	}
	lines = append(lines, trunc(fmt.Sprintf("      last write %s · lag %s · %d keys · %d waiting · reported %s",
		ago(now, h.LastWriteAt), h.Lag.Round(time.Millisecond), h.Keys, h.Pending, ago(now, h.At)), w))
	if h.LastError != "" {
		lines = append(lines, trunc("      "+st.Err.Render("last error "+ago(now, h.LastErrorAt)+": "+flow.Printable(h.LastError)), w))
	}
	if h.ForeignKey != "" {
		lines = append(lines, trunc("      "+st.Warn.Render("! another program wrote "+flow.Printable(h.ForeignKey)+" "+ago(now, h.ForeignAt)), w),
			trunc("        "+st.Dim.Render("→ "+publish.ForeignRemedy), w))
	}
	return lines
}
