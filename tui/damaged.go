package tui

import (
	"strings"

	"wxauth/core/flow"
)

// databaseDamagedMsg: the refresher stopped because the database is damaged.
type databaseDamagedMsg struct{ err error }

// noteDamaged keeps the explanation of a damaged database for the body, where it stays in
// full: every read and write fails until the user restores the file, and the remedy is
// longer than a status line. It reports whether err was such an error.
func (m *Model) noteDamaged(err error) bool {
	if err == nil || !flow.DatabaseUnusable(err) {
		return false
	}
	m.damaged = err.Error()
	if flow.KeyProblem(err) {
		// Sealed, or its key rotated, while the console ran (Secrets at rest).
		m.setStatus(levelErr, "the database's key is not this console's: restart it with the key (q quits)")
		return true
	}
	m.setStatus(levelErr, "the database is damaged: nothing can be read or stored until it is restored (q quits)")
	return true
}

// renderDamaged is the body while the database is damaged: the error, its cause and the fix.
func (m *Model) renderDamaged(h int) []string {
	w := max(20, m.width-4)
	lines := []string{"", "  " + m.styles.StatusErr.Render("The database cannot be used"), ""}
	for _, para := range strings.Split(m.damaged, "\n") {
		for _, l := range wrap(strings.TrimSpace(para), w) {
			lines = append(lines, "  "+l)
		}
	}
	return padLines(lines, h)
}
