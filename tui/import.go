package tui

import (
	"fmt"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// The import key: adopt the accounts already authorized to the platform (the engine's
// ImportAuthorizers), with a progress bar on the status line and the count at the end.

// importRun is an import in progress.
type importRun struct {
	componentAppID string
	done, total    int
	bar            progress.Model
}

func newImportRun(componentAppID string) *importRun {
	return &importRun{componentAppID: componentAppID, bar: progress.New(progress.WithWidth(24), progress.WithoutPercentage())}
}

type (
	// importProgressMsg is the engine's latest report; ch delivers the next one.
	importProgressMsg struct {
		ch <-chan flow.ImportProgress
		p  flow.ImportProgress
	}
	importDoneMsg struct {
		rep flow.ImportReport
		err error
	}
)

// startImport runs the import in a command; its progress comes back through a channel that
// keeps only the latest report, so a slow screen never holds the import up.
func (m *Model) startImport() tea.Cmd {
	if m.imp != nil {
		m.setStatus(levelWarn, "an import is running already")
		return nil
	}
	if m.componentAppID == "" || m.eng == nil {
		return nil
	}
	m.imp = newImportRun(m.componentAppID)
	m.setStatus(levelInfo, "")
	eng, ctx, componentAppID := m.eng, m.ctx, m.componentAppID
	ch := make(chan flow.ImportProgress, 1)
	run := func() tea.Msg {
		rep, err := eng.ImportAuthorizers(ctx, componentAppID, func(p flow.ImportProgress) {
			select { // only the newest report matters: replace an unread one
			case ch <- p:
			default:
				select {
				case <-ch:
				default:
				}
				ch <- p
			}
		})
		close(ch)
		return importDoneMsg{rep: rep, err: err}
	}
	return tea.Batch(run, nextImportProgress(ch))
}

func nextImportProgress(ch <-chan flow.ImportProgress) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return nil
		}
		return importProgressMsg{ch: ch, p: p}
	}
}

func (m *Model) onImportProgress(msg importProgressMsg) tea.Cmd {
	if m.imp != nil {
		m.imp.done, m.imp.total = msg.p.Done, msg.p.Total
	}
	return nextImportProgress(msg.ch)
}

func (m *Model) onImportDone(msg importDoneMsg) tea.Cmd {
	m.imp = nil
	switch rep := msg.rep; {
	case msg.err != nil && len(rep.Items) > 0:
		m.setStatus(levelErr, fmt.Sprintf("import stopped after %d of %d accounts (%s); press I to go on: %v", len(rep.Items), rep.Total, rep.Summary(), msg.err))
	case msg.err != nil:
		m.setStatus(levelErr, "import failed: "+msg.err.Error())
	case rep.TokensLeftTo != "":
		m.setStatus(levelOK, "✓ "+rep.Summary()+" · another wxauth process ("+rep.TokensLeftTo+") obtains their tokens")
	default:
		m.setStatus(levelOK, "✓ "+rep.Summary())
	}
	return m.requestReload()
}

// renderImport is the status line while an import runs.
func (m *Model) renderImport() string {
	st := m.styles
	r := m.imp
	if r.total == 0 {
		return " " + st.Accent.Render("importing: reading api_get_authorizer_list…")
	}
	bar := r.bar.ViewAs(float64(r.done) / float64(r.total))
	return " " + st.Accent.Render("importing accounts ") + bar + st.Dim.Render(fmt.Sprintf(" %d/%d", r.done, r.total))
}
