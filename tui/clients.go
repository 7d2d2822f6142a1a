package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The clients screen (K): the token service's clients (core/tokenapi, served by `wxauth serve`
// and by this console when it can) with scope, last use and reads today; a adds one, R rotates
// the selected one's key, X removes it (after y). A new key is shown once, here, until esc or
// the next action, and c copies it: only its hash is stored.

// clientsView is the clients screen's state.
type clientsView struct {
	list    []flow.Client
	err     error
	cursor  int
	adding  bool
	name    textinput.Model
	appids  textinput.Model
	comp    bool // the add form's "component token too"
	field   int  // 0 name, 1 appids, 2 component
	newKey  string
	keyFor  string
	loading bool
}

type clientsMsg struct {
	list []flow.Client
	err  error
}

// clientKeyMsg is the outcome of add or rotate: the key, to show once.
type clientKeyMsg struct {
	name, key, what string
	err             error
}

type clientRemovedMsg struct {
	name string
	err  error
}

// apiStatusMsg is whether a token API answers, and where (Options.TokenAPI).
type apiStatusMsg struct {
	serving bool
	where   string
}

func (m *Model) openClients() tea.Cmd {
	if m.eng == nil {
		return nil
	}
	if m.screen != screenClients {
		m.back = m.screen
	}
	m.screen = screenClients
	return m.loadClientsCmd()
}

func (m *Model) loadClientsCmd() tea.Cmd {
	m.clients.loading = true
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		list, err := eng.Clients(ctx)
		return clientsMsg{list: list, err: err}
	}
}

// apiStatusCmd asks Options.TokenAPI whether a token API serves (nil: the header says nothing).
func (m *Model) apiStatusCmd() tea.Cmd {
	probe, ctx := m.opts.TokenAPI, m.ctx
	if probe == nil {
		return nil
	}
	return func() tea.Msg {
		serving, where := probe(ctx)
		return apiStatusMsg{serving: serving, where: where}
	}
}

func (m *Model) onClientsMsg(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case clientsMsg:
		m.clients.loading = false
		m.clients.list, m.clients.err = msg.list, msg.err
		m.clients.cursor = min(m.clients.cursor, max(0, len(msg.list)-1))
	case clientKeyMsg:
		if msg.err != nil {
			m.setStatus(levelErr, msg.what+" failed: "+msg.err.Error())
			return nil
		}
		m.clients.newKey, m.clients.keyFor = msg.key, msg.name
		m.setStatus(levelOK, "client "+msg.name+" "+msg.what+": its key is shown below only now (c copies it)")
		return m.loadClientsCmd()
	case clientRemovedMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "removing "+msg.name+" failed: "+msg.err.Error())
			return nil
		}
		m.setStatus(levelOK, "client "+msg.name+" removed; its key no longer works")
		return m.loadClientsCmd()
	case apiStatusMsg:
		m.apiServing, m.apiWhere, m.apiKnown = msg.serving, msg.where, true
	}
	return nil
}

func (m *Model) selectedClient() (flow.Client, bool) {
	if m.clients.cursor < 0 || m.clients.cursor >= len(m.clients.list) {
		return flow.Client{}, false
	}
	return m.clients.list[m.clients.cursor], true
}

func (m *Model) clientsKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.clients.adding {
		return m.clientFormKey(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	sel, hasSel := m.selectedClient()
	switch {
	case key.Matches(msg, m.keys.Back):
		if m.clients.newKey != "" {
			m.clients.newKey, m.clients.keyFor = "", ""
			return nil
		}
		m.screen = screenDashboard
	case key.Matches(msg, m.keys.Up):
		m.clients.cursor = max(0, m.clients.cursor-1)
	case key.Matches(msg, m.keys.Down):
		m.clients.cursor = min(max(0, len(m.clients.list)-1), m.clients.cursor+1)
	case key.Matches(msg, m.keys.Copy):
		if m.clients.newKey == "" {
			m.setStatus(levelWarn, "no key to copy: keys are shown once, when made (a adds a client, R gives one a new key)")
			return nil
		}
		return m.copyCmd("key of client "+m.clients.keyFor, m.clients.newKey)
	case key.Matches(msg, m.keys.ClientAdd):
		return m.openClientForm()
	case key.Matches(msg, m.keys.ClientRotate) && hasSel:
		m.confirm = &confirmPrompt{
			text: "Give client " + sel.Name + " a new key? The current key stops working at once. (y/n)",
			yes:  func() tea.Cmd { return m.rotateClientCmd(sel.Name) },
		}
	case key.Matches(msg, m.keys.ClientRemove) && hasSel:
		m.confirm = &confirmPrompt{
			text: "Remove client " + sel.Name + "? Its key stops working at once. (y/n)",
			yes:  func() tea.Cmd { return m.removeClientCmd(sel.Name) },
		}
	}
	return nil
}

func (m *Model) openClientForm() tea.Cmd {
	m.clients.newKey, m.clients.keyFor = "", ""
	m.clients.adding, m.clients.field, m.clients.comp = true, 0, false
	m.clients.name = textinput.New()
	m.clients.name.Placeholder = "order-service"
	m.clients.name.CharLimit = 64
	m.clients.name.SetWidth(40)
	m.clients.appids = textinput.New()
	m.clients.appids.Placeholder = "appids, comma-separated; empty: every authorizer"
	m.clients.appids.CharLimit = 2000
	m.clients.appids.SetWidth(max(20, min(70, m.width-24)))
	return m.clients.name.Focus()
}

func (m *Model) clientFormKey(msg tea.KeyPressMsg) tea.Cmd {
	f := &m.clients
	switch msg.String() {
	case "esc":
		f.adding = false
		f.name.Blur()
		f.appids.Blur()
		return nil
	case "tab", "down", "shift+tab", "up":
		step := 1
		if s := msg.String(); s == "shift+tab" || s == "up" {
			step = 2
		}
		f.field = (f.field + step) % 3
		f.name.Blur()
		f.appids.Blur()
		switch f.field {
		case 0:
			return f.name.Focus()
		case 1:
			return f.appids.Focus()
		}
		return nil
	case "enter":
		name := strings.TrimSpace(f.name.Value())
		appids := strings.FieldsFunc(f.appids.Value(), func(r rune) bool { return r == ',' || r == ' ' })
		f.adding = false
		f.name.Blur()
		f.appids.Blur()
		m.setStatus(levelInfo, "adding client "+name+"…")
		return m.addClientCmd(flow.ClientSpec{Name: name, ComponentAppID: m.componentAppID, AppIDs: appids, Component: f.comp})
	}
	if f.field == 2 {
		if s := msg.String(); s == "space" || s == "left" || s == "right" || s == "h" || s == "l" {
			f.comp = !f.comp
		}
		return nil
	}
	var cmd tea.Cmd
	if f.field == 0 {
		f.name, cmd = f.name.Update(msg)
	} else {
		f.appids, cmd = f.appids.Update(msg)
	}
	return cmd
}

func (m *Model) addClientCmd(spec flow.ClientSpec) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		c, key, err := eng.AddClient(ctx, spec)
		return clientKeyMsg{name: c.Name, key: key, what: "added", err: err}
	}
}

func (m *Model) rotateClientCmd(name string) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		_, key, err := eng.RotateClient(ctx, name)
		return clientKeyMsg{name: name, key: key, what: "rotated", err: err}
	}
}

func (m *Model) removeClientCmd(name string) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		return clientRemovedMsg{name: name, err: eng.RemoveClient(ctx, name)}
	}
}

// clientInputs are the add form's inputs, for focusedInput (q types a q there).
func (m *Model) clientInputs() []*textinput.Model {
	if !m.clients.adding {
		return nil
	}
	return []*textinput.Model{&m.clients.name, &m.clients.appids}
}

func (m *Model) renderClients(bodyH int) []string {
	st := m.styles
	w := m.width
	out := []string{trunc(" "+st.Section.Render("Token-service clients")+st.Dim.Render(" · programs reading tokens from the token API"), w), ""}
	if m.clients.adding {
		return padLines(append(out, m.renderClientForm()...), bodyH)
	}
	if m.clients.newKey != "" {
		out = append(out, " "+st.Warn.Render("key of "+m.clients.keyFor+", shown only now (c copies it, esc hides it):"),
			" "+st.Bold.Render(m.clients.newKey), "")
	}
	switch {
	case m.clients.err != nil:
		out = append(out, " "+st.Err.Render("cannot read the clients: "+oneLine(m.clients.err.Error())))
	case len(m.clients.list) == 0 && !m.clients.loading:
		out = append(out, " "+st.Dim.Render("no client yet: a adds one (or `wxauth client add NAME`)"))
	}
	if len(m.clients.list) > 0 {
		out = append(out, trunc(" "+st.TableHeader.Render(fmt.Sprintf("  %-24s %-44s %-12s %s", "NAME", "SCOPE", "LAST USE", "READS TODAY")), w))
	}
	for i, c := range m.clients.list {
		last := "never"
		if !c.LastUsedAt.IsZero() {
			last = flow.ShortDuration(m.now.Sub(c.LastUsedAt)) + " ago"
		}
		line := fmt.Sprintf("%-24s %-44s %-12s %d", flow.Printable(c.Name), c.ScopeText(), last, c.ReadsToday)
		if i == m.clients.cursor {
			out = append(out, trunc(" "+st.Cursor.Render("▸ ")+st.Selected.Render(line), w))
		} else {
			out = append(out, trunc("   "+line, w))
		}
	}
	out = append(out, "", " "+st.Dim.Render("use figures are written by the serving process every few seconds · keys are never stored, only their hash"))
	return padLines(out, bodyH)
}

func (m *Model) renderClientForm() []string {
	st := m.styles
	f := m.clients
	mark := func(i int) string {
		if f.field == i {
			return st.Cursor.Render("▸ ")
		}
		return "  "
	}
	comp := "no"
	if f.comp {
		comp = "yes"
	}
	return []string{
		" " + st.Bold.Render("New client of "+m.componentAppID),
		"",
		" " + mark(0) + st.Label.Render(padRight("name", 16)) + f.name.View(),
		" " + mark(1) + st.Label.Render(padRight("authorizers", 16)) + f.appids.View(),
		" " + mark(2) + st.Label.Render(padRight("component token", 16)) + comp + st.Dim.Render("  (space toggles)"),
		"",
		" " + st.Dim.Render("enter adds it and shows its key once · tab next field · esc cancel"),
	}
}

// apiHeader is the header's word on the token API ("" when the console was not told how to know).
func (m *Model) apiHeader() string {
	if m.opts.TokenAPI == nil || !m.apiKnown {
		return ""
	}
	if m.apiServing {
		return m.styles.OK.Render("● ") + m.styles.Dim.Render("token API "+m.apiWhere+"  ")
	}
	return m.styles.Dim.Render("○ token API off  ")
}

// TokenAPIStatus is the type of Options.TokenAPI: whether a token API serves, and where.
type TokenAPIStatus func(ctx context.Context) (serving bool, where string)
