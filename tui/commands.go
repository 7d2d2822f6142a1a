package tui

import (
	"net"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// Every piece of I/O is one of the commands below (and those of the authorization runner,
// authorize_run.go, and the clipboard, clipboard.go): each calls the engine (or the OS) off
// the event loop and comes back as a message. None touches the model.

type (
	tickMsg     time.Time
	reloadMsg   struct{}
	snapshotMsg struct {
		componentAppID string
		snap           flow.Snapshot
		events         []flow.Event
		store          flow.StoreHealth
		err            error
	}
	platformsMsg struct {
		list []flow.Platform
		err  error
	}
	engineEventMsg flow.Event
	listenMsg      struct {
		addr  string
		bound net.Addr
		err   error
	}
	listenRetryMsg struct{ addr string } // try binding a busy address again
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
		p   flow.Platform
		err error
	}
	platformUpdatedMsg struct {
		p       flow.Platform
		changes []flow.Change
		err     error
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
		what, path string
		err        error
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

func (m *Model) loadSnapshotCmd() tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		snap, err := eng.Snapshot(ctx, componentAppID)
		if err != nil {
			return snapshotMsg{componentAppID: componentAppID, store: eng.StoreHealth(), err: err}
		}
		evs, err := eng.Events(ctx, componentAppID, eventsShown)
		return snapshotMsg{componentAppID: componentAppID, snap: snap, events: evs, store: eng.StoreHealth(), err: err}
	}
}

func (m *Model) listenCmd(addr string) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		bound, _, err := eng.Listen(ctx, addr)
		return listenMsg{addr: addr, bound: bound, err: err}
	}
}

func (m *Model) refreshAuthorizerCmd(appid string) tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		return refreshDoneMsg{appid: appid, err: eng.RefreshAuthorizer(ctx, componentAppID, appid)}
	}
}

func (m *Model) renewComponentCmd() tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		return componentRenewedMsg{err: eng.RefreshComponentToken(ctx, componentAppID)}
	}
}

func (m *Model) pushTicketCmd() tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		text, err := eng.StartPushTicket(ctx, componentAppID)
		return pushTicketMsg{text: text, err: err}
	}
}

func (m *Model) addPlatformCmd(p flow.Platform) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		p, err := eng.AddPlatform(ctx, p)
		return platformAddedMsg{p: p, err: err}
	}
}

func (m *Model) patchPlatformCmd(componentAppID string, patch flow.PlatformPatch) tea.Cmd {
	eng, ctx := m.eng, m.ctx
	return func() tea.Msg {
		p, changes, err := eng.PatchPlatform(ctx, componentAppID, patch)
		return platformUpdatedMsg{p: p, changes: changes, err: err}
	}
}

// accessTokenCmd fetches a valid access token (refreshing it if it is about to expire), so
// what gets copied works for the next minutes.
func (m *Model) accessTokenCmd(appid string) tea.Cmd {
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	return func() tea.Msg {
		a, err := eng.AuthorizerToken(ctx, componentAppID, appid)
		return tokenMsg{label: "access token of " + appid, appid: appid, value: a.AccessToken, err: err}
	}
}
