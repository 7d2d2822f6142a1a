package tui

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// requestReload reads the platform again, at most one read at a time: events that arrive
// during a read are folded into one more read.
func (m *Model) requestReload() tea.Cmd {
	if m.componentAppID == "" || m.eng == nil {
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
		if !m.noteDamaged(msg.err) {
			m.setStatus(levelErr, "cannot read the platforms: "+msg.err.Error())
		}
		return nil
	}
	m.platforms = msg.list
	if len(m.platforms) == 0 {
		if m.screen == screenLoading {
			m.screen = screenSetup
		}
		return nil
	}
	if m.componentAppID == "" || !slices.ContainsFunc(m.platforms, func(p flow.Platform) bool { return p.ComponentAppID == m.componentAppID }) {
		if m.componentAppID != "" {
			m.setStatus(levelWarn, "platform "+m.componentAppID+" is not configured; showing "+m.platforms[0].ComponentAppID)
		}
		m.componentAppID = m.platforms[0].ComponentAppID
	}
	if m.screen == screenLoading || m.screen == screenSetup {
		m.screen = screenDashboard
	}
	return tea.Batch(m.requestReload(), m.listenFor(m.componentAppID))
}

// listenFor starts the listener on a platform's address unless one runs there already.
func (m *Model) listenFor(componentAppID string) tea.Cmd {
	if !m.opts.Listen {
		return nil
	}
	for _, p := range m.platforms {
		if p.ComponentAppID != componentAppID {
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
	if msg.componentAppID != m.componentAppID {
		m.loading = false
		return m.requestReload() // the platform was switched while reading
	}
	m.store = msg.store
	if msg.err != nil {
		m.loading = false
		m.loadErr = msg.err.Error()
		if flow.StoreUnavailable(msg.err) {
			m.setStatus(levelErr, storeDownText(m.store, msg.err))
			return nil
		}
		if !m.noteDamaged(msg.err) {
			m.setStatus(levelErr, "cannot read the platform: "+msg.err.Error())
		}
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
	if s := m.snap.Session; s != nil && s.InProgress(m.now) {
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

// onListen records whether the listener bound. While its address is busy (a `wxauth serve`
// there, say), the console goes on and tries again every ListenRetry, so it takes the pushes
// over once the address frees up; it says so then.
func (m *Model) onListen(msg listenMsg) tea.Cmd {
	before, tried := m.listeners[msg.addr]
	if msg.err == nil {
		m.listeners[msg.addr] = ""
		if tried && before != "starting" && before != "" {
			m.setStatus(levelOK, "✓ listening on "+msg.addr+" now: the address became free")
		}
		return nil
	}
	m.listeners[msg.addr] = oneLine(msg.err.Error())
	if !flow.AddrBusy(msg.err) {
		m.setStatus(levelWarn, "listener not started: "+msg.err.Error()+" — the console goes on without it")
		return nil
	}
	if before == "starting" {
		m.setStatus(levelWarn, "not listening on "+msg.addr+": the address is in use (a `wxauth serve` there may be receiving the pushes) — the console goes on and binds it once it is free")
	}
	addr := msg.addr
	return tea.Tick(m.opts.ListenRetry, func(time.Time) tea.Msg { return listenRetryMsg{addr: addr} })
}
