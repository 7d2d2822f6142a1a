package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

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
		return m.onTick()
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
	case listenMsg, copiedMsg, tokenMsg, refreshDoneMsg, componentRenewedMsg, pushTicketMsg:
		return m.onActionDone(msg)
	case listenRetryMsg:
		return m.listenCmd(msg.addr)
	case releaseMsg:
		return m.onRelease(msg)
	case platformAddedMsg:
		return m.onPlatformAdded(msg)
	case platformUpdatedMsg:
		return m.onPlatformUpdated(msg)
	case importProgressMsg:
		return m.onImportProgress(msg)
	case importDoneMsg:
		return m.onImportDone(msg)
	case doctorDoneMsg:
		return m.onDoctorDone(msg)
	case sinksMsg:
		return m.onSinks(msg)
	case clientsMsg, clientKeyMsg, clientRemovedMsg, apiStatusMsg:
		return m.onClientsMsg(msg)
	case exportDoneMsg:
		return m.onExported(msg)
	case databaseDamagedMsg:
		m.noteDamaged(msg.err)
		return nil
	case authStartedMsg, runDoneMsg, browserMsg, approveMsg, pasteResultMsg:
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

// onTick moves the clock, and reads the platform again when it has not been read for a while
// (other processes write the database too).
func (m *Model) onTick() tea.Cmd {
	m.now = m.opts.Now()
	cmds := []tea.Cmd{m.tickCmd()}
	if m.componentAppID != "" && m.now.Sub(m.lastLoad) >= m.opts.ReloadEvery {
		cmds = append(cmds, m.requestReload(), m.apiStatusCmd())
		if m.screen == screenClients && !m.clients.loading {
			cmds = append(cmds, m.loadClientsCmd())
		}
	}
	if m.screen == screenPublish {
		cmds = append(cmds, m.loadSinks()) // the health changes while the screen is open
	}
	return tea.Batch(cmds...)
}

// onActionDone reports the outcome of an action the user asked for on the status line.
func (m *Model) onActionDone(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listenMsg:
		return m.onListen(msg)
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
	case componentRenewedMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "renewing the component token failed: "+msg.err.Error())
		} else {
			m.setStatus(levelOK, "✓ component_access_token renewed; the previous one works 5 more minutes")
		}
	case pushTicketMsg:
		if msg.err != nil {
			m.setStatus(levelErr, "api_start_push_ticket failed: "+msg.err.Error())
		} else {
			m.setStatus(levelOK, msg.text)
		}
	}
	return m.requestReload()
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
	if m.status.handCopy != "" && key.Matches(msg, m.keys.Back) {
		m.status.handCopy = ""
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
	case screenDoctor:
		return m.doctorKey(msg)
	case screenPublish:
		return m.publishKey(msg)
	case screenRelease:
		return m.releaseKey(msg)
	case screenClients:
		return m.clientsKey(msg)
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
