// Package tui is wxauth's console: a Bubble Tea v2 program over the engine (core/flow).
//
// The root Model routes keys by screen and focus; the components (pipeline, authorizers table,
// events pane, authorize panel, detail, export dialog, platform form) only render. Every piece
// of I/O is a tea.Cmd calling the engine, and engine events arrive through Program.Send from
// the goroutine Run starts. There is no business logic here: decisions live in core.
package tui

import (
	"context"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/storage"
)

// Sandbox is the demo's merchant: it approves a session on the simulator's page, for terminals
// without a browser.
type Sandbox interface {
	Approve(ctx context.Context, sessionID string) error
}

// Options shape the console. The zero value works; New fills the defaults.
type Options struct {
	Platform    string           // component appid to open; "" = the first configured
	Sandbox     Sandbox          // set by `wxauth demo`: enables the approve key
	Now         func() time.Time // the clock countdowns use; default the engine's
	TickEvery   time.Duration    // countdown tick; default 1 s, negative disables (tests)
	ReloadEvery time.Duration    // re-read storage this often (other processes write it too); default 5 s
	Listen      bool             // serve the listener on each platform's ListenAddr
	Clipboard   func(string) error
	Getenv      func(string) string
	Dark        *bool // force the palette; nil asks the terminal
}

// Result is what the console asks its caller to do after it exits.
type Result struct {
	// WantSandbox: on first run the user chose to try the sandbox.
	WantSandbox bool
}

type screen int

const (
	screenLoading screen = iota
	screenSetup
	screenForm
	screenDashboard
	screenAuthorize
	screenDetail
	screenPlatforms
)

type focusArea int

const (
	focusTable focusArea = iota
	focusEvents
)

// statusLine is the one-line answer to the last action; hand holds a value to select by hand
// when no clipboard can take it.
type statusLine struct {
	text, level string
	hand        string
}

// eventRow is one line of the events pane.
type eventRow struct {
	at    time.Time
	level string
	text  string
}

// Model is the console's root model.
type Model struct {
	ctx  context.Context
	eng  *flow.Engine
	opts Options
	keys KeyMap
	st   Styles
	help help.Model
	spin spinner.Model

	width, height int
	now           time.Time
	screen        screen
	back          screen // where esc returns from the detail and platform screens
	darkKnown     bool

	platforms []storage.Platform
	appid     string
	snap      flow.Snapshot
	loaded    bool // a snapshot of appid is there
	loading   bool
	dirty     bool
	lastLoad  time.Time
	loadErr   string
	byAppID   map[string]int // index into snap.Authorizers
	selectOn  string         // appid to select once the next snapshot has it

	stored []storage.Event // newest first, from the audit log
	live   []eventRow      // events the engine does not store (rejected pushes), newest first
	rows   []eventRow      // what the events pane shows, newest first

	table     authTable
	focus     focusArea
	evCursor  int
	evOffset  int
	filter    textinput.Model
	filtering bool

	status  statusLine
	confirm *confirmPrompt
	export  *exportDialog
	osc52   bool
	osc52OK bool // known to work (tmux with set-clipboard on)

	listeners  map[string]string // listen address → "" when serving, else why not
	refreshing map[string]bool

	auth   authPanel
	detail detailPanel
	setup  int
	form   platformForm
	plist  int

	result Result
}

// confirmPrompt asks y/n before an action with consequences.
type confirmPrompt struct {
	text string
	yes  func() tea.Cmd
}

// New builds the console's model. ctx bounds every command it runs.
func New(ctx context.Context, eng *flow.Engine, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = eng.Now
	}
	if opts.TickEvery == 0 {
		opts.TickEvery = time.Second
	}
	if opts.ReloadEvery == 0 {
		opts.ReloadEvery = 5 * time.Second
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	isDark := true
	if opts.Dark != nil {
		isDark = *opts.Dark
	}
	m := &Model{
		ctx: ctx, eng: eng, opts: opts, keys: DefaultKeyMap(),
		help: newHelp(), now: opts.Now(), appid: opts.Platform, osc52: true,
		listeners: map[string]string{}, refreshing: map[string]bool{}, byAppID: map[string]int{},
		darkKnown: opts.Dark != nil,
	}
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "appid, name, status…"
	m.auth = newAuthPanel()
	m.form = newPlatformForm()
	m.export = nil
	m.applyStyles(isDark)
	m.keys.Approve.SetEnabled(opts.Sandbox != nil)
	return m
}

func newHelp() help.Model {
	h := help.New()
	h.FullSeparator = "  "
	return h
}

func (m *Model) applyStyles(isDark bool) {
	m.st = NewStyles(isDark)
	m.help.Styles = m.st.Help
	m.spin.Style = m.st.Accent
	for _, ti := range m.inputs() {
		ti.SetStyles(m.st.Input)
	}
}

// inputs are every text input, for styling and sizing.
func (m *Model) inputs() []*textinput.Model {
	out := []*textinput.Model{&m.filter, &m.auth.biz, &m.auth.cats, &m.auth.paste}
	for i := range m.form.inputs {
		out = append(out, &m.form.inputs[i])
	}
	if m.export != nil {
		out = append(out, &m.export.path)
	}
	return out
}

// Result reports what the user asked for on exit.
func (m *Model) Result() Result { return m.result }

// Init loads the platforms and starts the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadPlatformsCmd(), m.tickCmd(), probeClipboardCmd(m.opts.Getenv)}
	if !m.darkKnown {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// Update routes a message, then lays the screen out again for what changed.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.relayout()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return nil
	case tea.BackgroundColorMsg:
		m.darkKnown = true
		m.applyStyles(msg.IsDark())
		return nil
	case tickMsg:
		m.now = m.opts.Now()
		cmds := []tea.Cmd{m.tickCmd()}
		if m.appid != "" && m.now.Sub(m.lastLoad) >= m.opts.ReloadEvery {
			cmds = append(cmds, m.requestReload())
		}
		return tea.Batch(cmds...)
	case spinner.TickMsg:
		if !m.busy() {
			return nil // let the spinner's tick chain end while nothing waits
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case clipProbeMsg:
		m.osc52, m.osc52OK = msg.osc52, msg.osc52 && msg.sure
		return nil
	case platformsMsg:
		return m.onPlatforms(msg)
	case snapshotMsg:
		return m.onSnapshot(msg)
	case reloadMsg:
		m.loading = false
		return m.requestReload()
	case engineEventMsg:
		return m.onEngineEvent(flow.Event(msg))
	case listenMsg:
		if msg.err != nil {
			m.listeners[msg.addr] = msg.err.Error()
			m.setStatus(levelWarn, "listener not started: "+msg.err.Error()+" — the console goes on (a `wxauth serve` may be receiving the pushes)")
		} else {
			m.listeners[msg.addr] = ""
		}
		return nil
	case copiedMsg:
		m.onCopied(msg)
		return nil
	case tokenMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "cannot copy the "+msg.label+": "+msg.err.Error())
			return nil
		}
		return m.copyCmd(msg.label, msg.value)
	case refreshDoneMsg:
		delete(m.refreshing, msg.appid)
		if msg.err != nil {
			m.setStatus(levelErr, "refreshing "+msg.appid+" failed: "+msg.err.Error())
		} else {
			m.setStatus(levelOK, "✓ access token of "+msg.appid+" renewed")
		}
		return m.requestReload()
	case componentRenewedMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "renewing the component token failed: "+msg.err.Error())
		} else {
			m.setStatus(levelOK, "✓ component_access_token renewed; the previous one works 5 more minutes")
		}
		return m.requestReload()
	case pushTicketMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "api_start_push_ticket failed: "+msg.err.Error())
		} else {
			m.setStatus(levelOK, msg.text)
		}
		return m.requestReload()
	case platformAddedMsg:
		return m.onPlatformAdded(msg)
	case exportDoneMsg:
		return m.onExported(msg)
	case authStartedMsg, sessionDoneMsg, browserMsg, approveMsg, pasteResultMsg, authorizerLoadedMsg:
		return m.updateAuthMsg(msg)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.PasteMsg:
		return m.onPaste(msg)
	}
	// Anything else (cursor blinks…) belongs to the focused input.
	if ti := m.focusedInput(); ti != nil {
		var cmd tea.Cmd
		*ti, cmd = ti.Update(msg)
		return cmd
	}
	return nil
}

// busy says whether something is pending that the spinner should show.
func (m *Model) busy() bool {
	return m.auth.starting || m.auth.approving || m.auth.pasteBusy ||
		m.pendingSession() != nil || len(m.refreshing) > 0 || m.form.submitting
}

// spinCmd starts the spinner's tick chain if it is not running.
func (m *Model) spinCmd() tea.Cmd { return m.spin.Tick }

// focusedInput is the text input taking keys, if any.
func (m *Model) focusedInput() *textinput.Model {
	for _, ti := range m.inputs() {
		if ti.Focused() {
			return ti
		}
	}
	return nil
}

func (m *Model) setStatus(level, text string) {
	m.status = statusLine{text: text, level: level}
}

// requestReload reads the platform again, at most one read at a time: events that arrive
// during a read are folded into one more read.
func (m *Model) requestReload() tea.Cmd {
	if m.appid == "" || m.eng == nil {
		return nil
	}
	if m.loading {
		m.dirty = true
		return nil
	}
	m.loading = true
	m.lastLoad = m.now
	return m.loadSnapshotCmd()
}

func (m *Model) onPlatforms(msg platformsMsg) tea.Cmd {
	if msg.err != nil {
		m.loadErr = msg.err.Error()
		m.setStatus(levelErr, "cannot read the platforms: "+msg.err.Error())
		return nil
	}
	m.platforms = msg.list
	if len(m.platforms) == 0 {
		if m.screen == screenLoading {
			m.screen = screenSetup
		}
		return nil
	}
	if m.appid == "" || !slices.ContainsFunc(m.platforms, func(p storage.Platform) bool { return p.ComponentAppID == m.appid }) {
		if m.appid != "" {
			m.setStatus(levelWarn, "platform "+m.appid+" is not configured; showing "+m.platforms[0].ComponentAppID)
		}
		m.appid = m.platforms[0].ComponentAppID
	}
	if m.screen == screenLoading || m.screen == screenSetup {
		m.screen = screenDashboard
	}
	return tea.Batch(m.requestReload(), m.listenFor(m.appid))
}

// listenFor starts the listener on a platform's address unless one runs there already.
func (m *Model) listenFor(appid string) tea.Cmd {
	if !m.opts.Listen {
		return nil
	}
	for _, p := range m.platforms {
		if p.ComponentAppID != appid {
			continue
		}
		addr := p.ListenAddr
		if addr == "" {
			addr = flow.DefaultListenAddr
		}
		if _, tried := m.listeners[addr]; tried {
			return nil
		}
		m.listeners[addr] = "starting"
		return m.listenCmd(addr)
	}
	return nil
}

func (m *Model) onSnapshot(msg snapshotMsg) tea.Cmd {
	if msg.appid != m.appid {
		m.loading = false
		return m.requestReload() // the platform was switched while reading
	}
	if msg.err != nil {
		m.loading = false
		m.loadErr = msg.err.Error()
		m.setStatus(levelErr, "cannot read the platform: "+msg.err.Error())
		return nil
	}
	m.loadErr = ""
	m.snap, m.loaded = msg.snap, true
	m.now = m.opts.Now()
	clear(m.byAppID)
	for i, a := range m.snap.Authorizers {
		m.byAppID[a.AppID] = i
	}
	m.table.SetRows(m.snap.Authorizers)
	if m.selectOn != "" && m.table.Select(m.selectOn) {
		m.selectOn = ""
	}
	m.stored = msg.events
	m.mergeEvents()
	var cmd tea.Cmd
	if m.snap.Session != nil && (m.snap.Session.State == storage.SessionPending || m.snap.Session.State == storage.SessionExchanging) &&
		m.now.Before(m.snap.Session.PreAuthExpiresAt) {
		cmd = m.spinCmd()
	}
	if m.dirty {
		// More happened while reading: read again shortly, folding bursts (a refresh pass over
		// 10,000 authorizers emits 10,000 events) into a few reads.
		m.dirty = false
		return tea.Batch(cmd, tea.Tick(250*time.Millisecond, func(time.Time) tea.Msg { return reloadMsg{} }))
	}
	m.loading = false
	return cmd
}

// mergeEvents interleaves logged and live-only events, newest first.
func (m *Model) mergeEvents() {
	rows := make([]eventRow, 0, len(m.stored)+len(m.live))
	for _, e := range m.stored {
		rows = append(rows, eventRow{at: e.At, level: eventLevel(e.Level, e.Kind), text: e.Message})
	}
	rows = append(rows, m.live...)
	slices.SortStableFunc(rows, func(a, b eventRow) int { return b.at.Compare(a.at) })
	if len(rows) > eventsShown {
		rows = rows[:eventsShown]
	}
	m.rows = rows
	m.evCursor = max(0, min(m.evCursor, len(m.rows)-1))
}

// eventLevel maps an engine level to a display level; successes read green.
func eventLevel(level, kind string) string {
	switch level {
	case flow.LevelError:
		return levelErr
	case flow.LevelWarn:
		return levelWarn
	}
	switch flow.EventKind(kind) {
	case flow.EventAuthorized, flow.EventAuthorizerToken, flow.EventComponentToken, flow.EventTicketReceived:
		return levelOK
	}
	return levelInfo
}

func (m *Model) onEngineEvent(ev flow.Event) tea.Cmd {
	if ev.ComponentAppID != "" && ev.ComponentAppID != m.appid {
		return nil
	}
	if ev.Kind == flow.EventPushRejected {
		// Rejected pushes are not logged in the database (a flood must cost nothing): keep
		// them here so the pane still shows them.
		m.live = append([]eventRow{{at: ev.At, level: levelWarn, text: ev.Message}}, m.live...)
		if len(m.live) > 50 {
			m.live = m.live[:50]
		}
		m.mergeEvents()
	}
	if ev.Level == flow.LevelError {
		text := ev.Message
		if ev.Remedy != "" {
			text += " — " + ev.Remedy
		}
		m.setStatus(levelErr, text)
	}
	return m.requestReload()
}

func (m *Model) onCopied(msg copiedMsg) {
	switch {
	case msg.system && m.osc52:
		m.setStatus(levelOK, "✓ copied the "+msg.label+" to the clipboard (system and terminal)")
	case msg.system:
		m.setStatus(levelOK, "✓ copied the "+msg.label+" to the system clipboard")
	case m.osc52OK:
		m.setStatus(levelOK, "✓ copied the "+msg.label+" through the terminal (OSC 52)")
	case m.osc52:
		m.setStatus(levelOK, "✓ copied the "+msg.label+" through the terminal (OSC 52, if the terminal allows it)")
	default:
		m.status = statusLine{level: levelWarn, hand: msg.value,
			text: "no clipboard can take the " + msg.label + " here; select it by hand below (esc hides it)"}
	}
}

// onKey routes a key press: ctrl+c always quits, an open prompt or dialog comes first, then
// the screen.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		return tea.Quit
	}
	if m.confirm != nil {
		c := m.confirm
		switch {
		case key.Matches(msg, m.keys.Yes):
			m.confirm = nil
			return c.yes()
		case key.Matches(msg, m.keys.No):
			m.confirm = nil
			m.setStatus(levelInfo, "cancelled")
		}
		return nil
	}
	if m.status.hand != "" && key.Matches(msg, m.keys.Back) {
		m.status.hand = ""
		return nil
	}
	if m.export != nil {
		return m.exportKey(msg)
	}
	switch m.screen {
	case screenSetup:
		return m.setupKey(msg)
	case screenForm:
		return m.formKey(msg)
	case screenDashboard:
		return m.dashboardKey(msg)
	case screenAuthorize:
		return m.authorizeKey(msg)
	case screenDetail:
		return m.detailKey(msg)
	case screenPlatforms:
		return m.platformsKey(msg)
	}
	if key.Matches(msg, m.keys.Quit) {
		return tea.Quit
	}
	return nil
}

// globalKey handles the keys every screen without a focused input shares.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, m.keys.Quit):
		return tea.Quit, true
	case key.Matches(msg, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil, true
	}
	return nil, false
}

func (m *Model) onPaste(msg tea.PasteMsg) tea.Cmd {
	if m.screen == screenAuthorize && m.auth.started != nil && m.export == nil {
		// A pasted address or code completes the session: fill the field and focus it.
		m.auth.paste.SetValue(msg.Content)
		m.auth.paste.CursorEnd()
		m.setStatus(levelInfo, "pasted; press enter to use it")
		return m.auth.paste.Focus()
	}
	if ti := m.focusedInput(); ti != nil {
		var cmd tea.Cmd
		*ti, cmd = ti.Update(msg)
		if m.screen == screenForm {
			m.form.validate()
		}
		if m.filtering {
			m.table.SetFilter(m.filter.Value())
		}
		return cmd
	}
	return nil
}

// pendingSession is the platform's session waiting for the merchant, if any.
func (m *Model) pendingSession() *storage.Session {
	if m.auth.started != nil {
		s := m.auth.started.Session
		return &s
	}
	if s := m.snap.Session; s != nil && s.State == storage.SessionPending && m.now.Before(s.PreAuthExpiresAt) {
		return s
	}
	return nil
}

// authorizer returns the loaded record of appid.
func (m *Model) authorizer(appid string) (storage.Authorizer, bool) {
	i, ok := m.byAppID[appid]
	if !ok || i >= len(m.snap.Authorizers) {
		return storage.Authorizer{}, false
	}
	return m.snap.Authorizers[i], true
}

// platform returns the current platform's configuration.
func (m *Model) platform() (storage.Platform, bool) {
	for _, p := range m.platforms {
		if p.ComponentAppID == m.appid {
			return p, true
		}
	}
	return storage.Platform{}, false
}
