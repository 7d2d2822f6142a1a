package tui

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/storage"
)

// Every piece of I/O is one of the commands below: each calls the engine (or the OS) off the
// event loop and comes back as a message. None touches the model.

type (
	tickMsg     time.Time
	reloadMsg   struct{}
	snapshotMsg struct {
		appid  string
		snap   flow.Snapshot
		events []storage.Event
		err    error
	}
	platformsMsg struct {
		list []storage.Platform
		err  error
	}
	engineEventMsg flow.Event
	listenMsg      struct {
		addr  string
		bound net.Addr
		err   error
	}
	authStartedMsg struct {
		auth flow.Authorization
		err  error
	}
	sessionDoneMsg struct {
		id   string
		sess storage.Session
		err  error
	}
	authorizerLoadedMsg struct {
		a   storage.Authorizer
		err error
	}
	browserMsg struct {
		url string
		err error
	}
	approveMsg     struct{ err error }
	pasteResultMsg struct {
		a   storage.Authorizer
		err error
	}
	refreshDoneMsg struct {
		appid string
		err   error
	}
	componentRenewedMsg struct{ err error }
	pushTicketMsg       struct {
		text string
		err  error
	}
	platformAddedMsg struct {
		p   storage.Platform
		err error
	}
	// tokenMsg carries a secret fetched for copying or exporting; it never reaches a log.
	tokenMsg struct {
		label, appid, value string
		err                 error
	}
	copiedMsg struct {
		label, value string
		system       bool  // the system clipboard took it
		sysErr       error // why it did not
	}
	// clipProbeMsg: whether OSC 52 can reach a clipboard, and whether that is known for sure
	// (tmux says so) or only likely (most terminals accept it; some ignore it silently).
	clipProbeMsg  struct{ osc52, sure bool }
	exportDoneMsg struct {
		what, path, data string // data is set when exported to the clipboard
		err              error
	}
)

func (m *Model) tickCmd() tea.Cmd {
	if m.opts.TickEvery <= 0 {
		return nil
	}
	return tea.Tick(m.opts.TickEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) loadPlatformsCmd() tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		list, err := eng.Platforms(ctx)
		return platformsMsg{list: list, err: err}
	}
}

// eventsShown is how many logged events the events pane keeps.
const eventsShown = 200

func (m *Model) loadSnapshotCmd() tea.Cmd {
	eng, ctx, appid := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		snap, err := eng.Snapshot(ctx, appid)
		if err != nil {
			return snapshotMsg{appid: appid, err: err}
		}
		evs, err := eng.Events(ctx, appid, eventsShown)
		return snapshotMsg{appid: appid, snap: snap, events: evs, err: err}
	}
}

func (m *Model) listenCmd(addr string) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		bound, _, err := eng.Listen(ctx, addr)
		return listenMsg{addr: addr, bound: bound, err: err}
	}
}

func (m *Model) startAuthCmd(opts flow.AuthOptions) tea.Cmd {
	eng, ctx, appid := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		a, err := eng.StartAuthorization(ctx, appid, opts)
		return authStartedMsg{auth: a, err: err}
	}
}

func (m *Model) waitSessionCmd(ctx context.Context, id string) tea.Cmd {
	eng := m.eng
	return func() tea.Msg {
		s, err := eng.WaitSession(ctx, id)
		return sessionDoneMsg{id: id, sess: s, err: err}
	}
}

func (m *Model) loadAuthorizerCmd(appid string) tea.Cmd {
	eng, ctx, comp := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		a, err := eng.DB().Authorizer(ctx, comp, appid)
		return authorizerLoadedMsg{a: a, err: err}
	}
}

// canOpenBrowser says whether a graphical browser can open. Without a display, xdg-open falls
// back to console browsers that would take over the terminal the console draws on.
func canOpenBrowser(getenv func(string) string) (bool, string) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return true, ""
	}
	if getenv("BROWSER") != "" || getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" {
		return true, ""
	}
	return false, "no graphical display (DISPLAY is not set)"
}

func (m *Model) openBrowserCmd(url string) tea.Cmd {
	eng, ctx, appid := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		return browserMsg{url: url, err: eng.OpenBrowser(ctx, appid, url)}
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

func (m *Model) pasteCmd(input string) tea.Cmd {
	eng, ctx, appid := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		a, err := eng.Paste(ctx, appid, input)
		return pasteResultMsg{a: a, err: err}
	}
}

func (m *Model) refreshAuthorizerCmd(appid string) tea.Cmd {
	eng, ctx, comp := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		return refreshDoneMsg{appid: appid, err: eng.RefreshAuthorizer(ctx, comp, appid)}
	}
}

func (m *Model) renewComponentCmd() tea.Cmd {
	eng, ctx, comp := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		return componentRenewedMsg{err: eng.RefreshComponentToken(ctx, comp)}
	}
}

func (m *Model) pushTicketCmd() tea.Cmd {
	eng, ctx, comp := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		text, err := eng.StartPushTicket(ctx, comp)
		return pushTicketMsg{text: text, err: err}
	}
}

func (m *Model) addPlatformCmd(p storage.Platform) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		p, err := eng.AddPlatform(ctx, p)
		return platformAddedMsg{p: p, err: err}
	}
}

// accessTokenCmd fetches a valid access token (refreshing it if it is about to expire), so
// what gets copied works for the next minutes.
func (m *Model) accessTokenCmd(appid string) tea.Cmd {
	eng, ctx, comp := m.eng, m.ctx, m.appid
	return func() tea.Msg {
		a, err := eng.AuthorizerToken(ctx, comp, appid)
		return tokenMsg{label: "access token of " + appid, appid: appid, value: a.AccessToken, err: err}
	}
}

// copyCmd puts value on the clipboard both ways at once: OSC 52 through the terminal (works
// over SSH and in tmux with set-clipboard on) and the system clipboard when one exists.
// Sequence, not Batch: the OSC 52 write must not race the program's exit.
func (m *Model) copyCmd(label, value string) tea.Cmd {
	write := m.opts.Clipboard
	return tea.Sequence(tea.SetClipboard(value), func() tea.Msg {
		if write == nil {
			return copiedMsg{label: label, value: value, sysErr: errors.New("no system clipboard")}
		}
		err := write(value)
		return copiedMsg{label: label, value: value, system: err == nil, sysErr: err}
	})
}

// probeClipboardCmd finds out whether OSC 52 can reach a clipboard: not on the Linux console
// or a dumb terminal, and inside tmux only with `set-clipboard on`.
func probeClipboardCmd(getenv func(string) string) tea.Cmd {
	return func() tea.Msg {
		switch getenv("TERM") {
		case "dumb", "linux":
			return clipProbeMsg{osc52: false, sure: true}
		}
		if getenv("TMUX") != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
			if err != nil || strings.TrimSpace(string(out)) != "on" {
				return clipProbeMsg{osc52: false, sure: true}
			}
			return clipProbeMsg{osc52: true, sure: true}
		}
		return clipProbeMsg{osc52: true}
	}
}
