package tui

import (
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"wxauth/core/flow"
)

// The pipeline: five boxes, left to right, for the stages a platform goes through.

// stage is one box of the pipeline.
type stage struct {
	title        string
	line1, line2 string
}

// stages are the pipeline's boxes; narrow ones use shorter words.
func (m *Model) stages(narrow bool) []stage {
	preAuth, authorization := m.sessionStages(narrow)
	return []stage{m.ticketStage(), m.componentTokenStage(narrow), preAuth, authorization, m.authorizersStage()}
}

// ticketStage: age since the last push, and validity.
func (m *Model) ticketStage() stage {
	s, now, st := m.snap, m.now, m.styles
	t := stage{title: "ticket"}
	switch {
	case !m.loaded:
		t.line1 = st.Dim.Render("…")
	case s.Ticket == nil:
		t.line1 = st.Warn.Render("none yet")
		t.line2 = st.Dim.Render("t: ask a push")
	default:
		age := "pushed " + agoShort(now, s.LastPushAt)
		if s.Has(flow.SideTicketStale) {
			t.line1 = st.Warn.Render("⚠ " + age)
		} else {
			t.line1 = age
		}
		if left := s.TicketExpiresAt.Sub(now); left > 0 {
			t.line2 = "valid " + countdown(left)
		} else {
			t.line2 = st.Err.Render("expired")
		}
	}
	return t
}

// componentTokenStage: a countdown bar to expiry, and the time to the next renewal.
func (m *Model) componentTokenStage(narrow bool) stage {
	s, now, st := m.snap, m.now, m.styles
	c := stage{title: "component token"}
	if narrow {
		c.title = "comp. token"
	}
	switch {
	case !m.loaded:
	case s.ComponentToken == nil && s.Ticket == nil:
		c.line1 = st.Dim.Render("needs ticket")
	case s.ComponentToken == nil:
		c.line1 = st.Dim.Render("minting…")
	default:
		tok := s.ComponentToken
		left := tok.ExpiresAt.Sub(now)
		life := tok.ExpiresAt.Sub(tok.ObtainedAt)
		if left <= 0 {
			c.line1 = st.Err.Render("expired")
		} else {
			cd := countdown(left)
			w := max(3, m.width/5-3-len(cd)-1)
			c.line1 = bar(st, float64(left)/float64(max(life, time.Second)), w) + " " + cd
		}
		if next := s.NextRefreshAt.Sub(now); next > 0 {
			c.line2 = "renew in " + countdown(next)
			if narrow {
				c.line2 = "renew " + countdown(next)
			}
		} else {
			c.line2 = st.Warn.Render("renewing now")
		}
	}
	return c
}

// sessionStages: the pre_auth_code, and the authorization it feeds. The session started here
// is shown as soon as it starts, before the next snapshot has it.
func (m *Model) sessionStages(narrow bool) (preAuth, authorization stage) {
	now, st := m.now, m.styles
	p := stage{title: "pre_auth_code"}
	a := stage{title: "authorization"}
	sess := m.snap.Session
	if m.auth.started != nil {
		started := m.auth.started.Session
		sess = &started
	}
	switch {
	case sess == nil:
		p.line1 = st.Dim.Render("none")
		p.line2 = st.Dim.Render("single use")
		a.line1 = st.Dim.Render("idle")
		a.line2 = st.Dim.Render("a: authorize")
	case sess.Waiting(now):
		p.line1 = countdown(sess.PreAuthExpiresAt.Sub(now)) + " left"
		p.line2 = st.Dim.Render("single use")
		a.line1 = m.spin.View() + " waiting"
		a.line2 = "via redirect, push or paste"
		if narrow {
			a.line2 = "approve/paste"
		}
	case sess.Expired(now):
		p.line1 = st.Warn.Render("expired")
		p.line2 = st.Dim.Render("a: new one")
		a.line1 = st.Dim.Render("not approved")
	case sess.State == flow.SessionExchanging:
		p.line1 = "used"
		a.line1 = m.spin.View() + " exchanging"
		a.line2 = "code via " + sess.CodeSource
	case sess.State == flow.SessionDone:
		p.line1 = st.Dim.Render("used")
		p.line2 = st.Dim.Render("single use")
		a.line1 = st.OK.Render("✓ via " + sess.CodeSource)
		if narrow {
			a.line1 = st.OK.Render("✓ " + sess.CodeSource)
		}
		a.line2 = st.Dim.Render(agoShort(now, sess.FinishedAt))
	default:
		p.line1 = st.Dim.Render("used")
		a.line1 = st.Err.Render("✗ failed")
		a.line2 = st.Dim.Render(oneLine(sess.Error))
	}
	return p, a
}

// authorizersStage: how many accounts, how many healthy.
func (m *Model) authorizersStage() stage {
	s, st := m.snap, m.styles
	z := stage{title: "authorizers"}
	if !m.loaded {
		return z
	}
	n := len(s.Authorizers)
	z.line1 = itoa(n) + " authorized"
	switch {
	case n == 0:
		z.line2 = st.Dim.Render("none yet")
	case s.Healthy == n:
		z.line2 = st.OK.Render(itoa(s.Healthy) + " healthy")
	default:
		z.line2 = st.Warn.Render(itoa(s.Healthy) + " healthy")
	}
	return z
}

// renderPipeline draws the five stages left to right, as bordered boxes.
func (m *Model) renderPipeline() string {
	narrow := m.width < 110
	stages := m.stages(narrow)
	boxes := make([]string, len(stages))
	base := m.width / 5
	for i, s := range stages {
		w := base
		if i == len(stages)-1 {
			w = m.width - base*4
		}
		inner := w - 3 // border and a left margin
		content := strings.Join([]string{
			fit(m.styles.BoxTitle.Render(s.title), inner),
			fit(s.line1, inner),
			fit(s.line2, inner),
		}, "\n")
		boxes[i] = m.styles.Box.Width(w).PaddingLeft(1).Render(content)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, boxes...)
}

// renderPipelineLine is the pipeline on one line, for small terminals.
func (m *Model) renderPipelineLine() string {
	stages := m.stages(true)
	parts := make([]string, len(stages))
	for i, s := range stages {
		parts[i] = m.styles.BoxTitle.Render(s.title) + " " + s.line1
	}
	return fit(strings.Join(parts, m.styles.Dim.Render(" ▸ ")), m.width)
}
