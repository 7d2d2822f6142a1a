package tui

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

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

// copyRefresh copies an authorizer's refresh token.
func (m *Model) copyRefresh(a flow.Authorizer) tea.Cmd {
	if a.RefreshToken == "" {
		m.setStatus(levelWarn, a.AppID+" has no refresh token stored")
		return nil
	}
	return m.copyCmd("refresh token of "+a.AppID, a.RefreshToken)
}

// onCopied says where a copied value went; when nothing could take it, the status line shows
// it for selecting by hand.
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
		m.status = statusLine{level: levelWarn, handCopy: msg.value,
			text: "no clipboard can take the " + msg.label + " here; select it by hand below (esc hides it)"}
	}
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
