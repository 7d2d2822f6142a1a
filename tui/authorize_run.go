package tui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The authorization under way is the engine's runner (flow.Run): it creates the session,
// opens the browser when asked, and waits for whichever comes first of the redirect, the
// authorized push and a paste. The console only starts it, hands it what the user pastes,
// and waits for its one result in a command.

// authRun is what the console uses of a *flow.Run (tests stand in for it).
type authRun interface {
	Done() <-chan flow.RunResult
	Paste(ctx context.Context, input string) error
	Stop()
}

type (
	authStartedMsg struct {
		auth       flow.Authorization
		run        authRun
		browserErr error // why the launch page did not open, when the runner was asked to open it
		err        error
	}
	// runDoneMsg is how the run of session id ended.
	runDoneMsg struct {
		id  string
		res flow.RunResult
	}
	browserMsg struct {
		url string
		err error
	}
	approveMsg     struct{ err error }
	pasteResultMsg struct{ err error } // nil: the run is done, its result follows as a runDoneMsg
)

// runAuthorizationCmd starts the runner. The console serves its own listener, so the run does
// not bind one; it lives until it is stopped or the console's context ends.
func (m *Model) runAuthorizationCmd(opts flow.AuthOptions, openBrowser bool) tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		run, err := eng.RunAuthorization(ctx, componentAppID, opts, flow.RunOptions{Listen: false, OpenBrowser: openBrowser})
		if err != nil {
			return authStartedMsg{err: err}
		}
		context.AfterFunc(ctx, run.Stop)
		return authStartedMsg{auth: run.Authorization, run: run, browserErr: run.BrowserErr}
	}
}

// waitRunCmd waits for the run's result.
func waitRunCmd(run authRun, sessionID string) tea.Cmd {
	return func() tea.Msg { return runDoneMsg{id: sessionID, res: <-run.Done()} }
}

// pasteCmd tries a pasted address or code on the running session.
func (m *Model) pasteCmd(input string) tea.Cmd {
	run, ctx := m.auth.run, m.ctx
	return func() tea.Msg { return pasteResultMsg{err: run.Paste(ctx, input)} }
}

// canOpenBrowser says whether a graphical browser can open (the engine's answer). Without a
// display, xdg-open falls back to console browsers that would take over the terminal the
// console draws on.
func canOpenBrowser(getenv func(string) string) (bool, string) {
	why := flow.BrowserUnavailable(getenv)
	return why == "", why
}

// openBrowserCmd opens the launch page again (the o key).
func (m *Model) openBrowserCmd(url string) tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		return browserMsg{url: url, err: eng.OpenBrowser(ctx, componentAppID, url)}
	}
}

func (m *Model) approveCmd(sessionID string) tea.Cmd {
	sb, ctx := m.opts.Sandbox, m.ctx
	return func() tea.Msg {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return approveMsg{err: sb.Approve(actx, sessionID)}
	}
}

func (m *Model) updateAuthMsg(msg tea.Msg) tea.Cmd {
	a := &m.auth
	switch msg := msg.(type) {
	case authStartedMsg:
		return m.onAuthStarted(msg)
	case browserMsg:
		a.showBrowser(msg.err)
	case approveMsg:
		a.approving = false
		if msg.err != nil {
			m.setStatus(levelErr, "the sandbox merchant could not approve: "+msg.err.Error())
			return nil
		}
		if a.started == nil {
			// The run already ended (the push or redirect outran this answer): its outcome
			// is on the status line and stays there.
			return m.requestReload()
		}
		m.setStatus(levelInfo, "the sandbox merchant approved; exchanging the code…")
		return m.requestReload()
	case runDoneMsg:
		return m.onRunDone(msg)
	case pasteResultMsg:
		if msg.err == nil {
			return nil // the run is done: its result arrives as a runDoneMsg
		}
		a.pasteBusy = false
		a.err = msg.err.Error()
		m.setStatus(levelErr, "the pasted code did not work: "+firstLine(a.err))
	}
	return nil
}

func (m *Model) onAuthStarted(msg authStartedMsg) tea.Cmd {
	a := &m.auth
	a.starting = false
	if msg.err != nil {
		a.err = msg.err.Error()
		m.setStatus(levelErr, "the authorization could not start: "+firstLine(a.err))
		return m.requestReload()
	}
	m.endSession()
	auth := msg.auth
	a.started, a.run = &auth, msg.run
	a.err = ""
	if lines, err := qrLines(auth.Session.MobileLink); err != nil {
		a.qrErr = err.Error()
	} else {
		a.qr = lines
	}
	if ok, why := canOpenBrowser(m.opts.Getenv); ok {
		a.showBrowser(msg.browserErr) // the runner opened it before reporting the start
	} else {
		a.showBrowser(&flow.BrowserError{Reason: why})
	}
	m.setStatus(levelInfo, "waiting for the merchant to approve")
	return tea.Batch(waitRunCmd(msg.run, auth.Session.ID), m.spinCmd(), m.requestReload())
}

// showBrowser says what became of opening the launch page, in the user's words (the link is
// shown below it).
func (a *authPanel) showBrowser(err error) {
	var be *flow.BrowserError
	switch {
	case err == nil:
		a.browser, a.browserOK = "opened in your browser", true
	case errors.As(err, &be):
		a.browser, a.browserOK = "no browser could be opened ("+be.Reason+"): open the link yourself", false
	default:
		a.browser, a.browserOK = "no browser could be opened: "+oneLine(err.Error()), false
	}
}

func (m *Model) onRunDone(msg runDoneMsg) tea.Cmd {
	a := &m.auth
	if a.started == nil || msg.id != a.started.Session.ID {
		return nil // a session given up on
	}
	if err := msg.res.Err; err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		m.endSession()
		a.err = err.Error()
		m.setStatus(levelErr, firstLine(a.err))
		return m.requestReload()
	}
	return m.authorized(msg.res.Authorizer)
}

// authorized finishes the session: back to the dashboard with the new row selected.
func (m *Model) authorized(acct flow.Authorizer) tea.Cmd {
	m.endSession()
	m.screen = screenDashboard
	m.focus = focusTable
	m.selectOn = acct.AppID
	m.table.Select(acct.AppID)
	left := ""
	if !acct.AccessExpiresAt.IsZero() {
		left = "; its access token is valid " + countdown(acct.AccessExpiresAt.Sub(m.now))
	}
	m.setStatus(levelOK, "✓ "+acct.DisplayName()+" authorized"+left+" — c copies it, enter shows it")
	return m.requestReload()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
