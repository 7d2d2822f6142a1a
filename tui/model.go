// Package tui is wxauth's console: a Bubble Tea v2 program over the engine (core/flow).
//
// The root Model routes keys by screen and focus; the components (pipeline, authorizers table,
// events pane, authorize panel, detail, export dialog, platform form) only render. Every piece
// of I/O is a tea.Cmd calling the engine, and engine events arrive through Program.Send from
// the goroutine Run starts. There is no business logic here: decisions live in core, and the
// console sees only the engine's types (platform, snapshot, authorizer, session, event).
package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
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
	ListenRetry time.Duration    // while its address is busy, try binding again this often; default 5 s
	Clipboard   func(string) error
	Getenv      func(string) string
	DataDir     string // where exports go unless the user types a path; default the database's directory
	Dark        *bool  // force the palette; nil asks the terminal
	// TokenAPI says whether a token API serves (this process or another), asked on each reload;
	// nil leaves it out of the header.
	TokenAPI TokenAPIStatus
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
	screenDoctor
	screenRelease
	screenPublish
	screenClients
)

type focusArea int

const (
	focusTable focusArea = iota
	focusEvents
)

// statusLine is the one-line answer to the last action; handCopy holds a value to select by
// hand when no clipboard can take it.
type statusLine struct {
	text, level string
	handCopy    string
}

// Model is the console's root model.
type Model struct {
	ctx    context.Context
	eng    *flow.Engine
	opts   Options
	keys   KeyMap
	styles Styles
	help   help.Model
	spin   spinner.Model

	width, height int
	now           time.Time
	screen        screen
	back          screen // where esc returns from the detail and platform screens
	darkKnown     bool

	platforms      []flow.Platform
	componentAppID string // the platform shown
	snap           flow.Snapshot
	loaded         bool // a snapshot of componentAppID is there
	loading        bool
	dirty          bool
	lastLoad       time.Time
	loadErr        string
	store          flow.StoreHealth // is the store answering? (header)
	damaged        string           // why the database cannot be used (damaged.go); shown instead of any screen
	byAppID        map[string]int   // index into snap.Authorizers
	selectOn       string           // authorizer appid to select once the next snapshot has it

	stored []flow.Event // newest first, from the audit log
	live   []eventRow   // events the engine does not store (rejected pushes), newest first
	rows   []eventRow   // what the events pane shows, newest first

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

	auth           authPanel
	detail         detailPanel
	setup          int
	form           platformForm
	platformCursor int         // the row of the platforms screen
	imp            *importRun  // the import running, if any
	doctor         doctorView  // the doctor screen's last run
	publish        publishView // the Redis sinks screen

	result  Result
	release releaseState // the release screen (全网发布)

	clients              clientsView // the clients screen (K)
	apiServing, apiKnown bool        // the header's token-API word
	apiWhere             string
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
	if opts.ListenRetry <= 0 {
		opts.ListenRetry = 5 * time.Second
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
		help: newHelp(), now: opts.Now(), componentAppID: opts.Platform, osc52: true,
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
	m.styles = NewStyles(isDark)
	m.help.Styles = m.styles.Help
	m.spin.Style = m.styles.Accent
	for _, ti := range m.inputs() {
		ti.SetStyles(m.styles.Input)
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
	return append(out, m.clientInputs()...)
}

// Result reports what the user asked for on exit.
func (m *Model) Result() Result { return m.result }

// Init loads the platforms and starts the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadPlatformsCmd(), m.tickCmd(), probeClipboardCmd(m.opts.Getenv), m.apiStatusCmd()}
	if !m.darkKnown {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
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
	m.status = statusLine{text: oneLine(text), level: level}
}

// oneLine makes text fit for one line of the console: a remedy joins its message after a dash,
// other line breaks become spaces, and every control character is escaped (errors and events
// carry text from outside: a push's AppId, an errmsg, a nick name).
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n  what to do: ", " — what to do: ")
	return flow.Printable(strings.ReplaceAll(s, "\n", " "))
}

// pendingSession is the platform's session waiting for the merchant, if any.
func (m *Model) pendingSession() *flow.Session {
	if m.auth.started != nil {
		s := m.auth.started.Session
		return &s
	}
	if s := m.snap.Session; s != nil && s.Waiting(m.now) {
		return s
	}
	return nil
}

// authorizer returns the loaded record of appid.
func (m *Model) authorizer(appid string) (flow.Authorizer, bool) {
	i, ok := m.byAppID[appid]
	if !ok || i >= len(m.snap.Authorizers) {
		return flow.Authorizer{}, false
	}
	return m.snap.Authorizers[i], true
}

// platform returns the current platform's configuration.
func (m *Model) platform() (flow.Platform, bool) {
	for _, p := range m.platforms {
		if p.ComponentAppID == m.componentAppID {
			return p, true
		}
	}
	return flow.Platform{}, false
}
