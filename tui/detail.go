package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
)

// detailPanel is the detail screen of one authorizer.
type detailPanel struct {
	appid  string
	reveal bool
	scroll int

	// The account info decoded from the record (flow.Authorizer.Account decodes on each call),
	// cached per record version: infoOf is the appid and UpdatedAt it is for.
	info   flow.AccountInfo
	infoOK bool
	infoOf string
}

func (m *Model) openDetail(appid string) tea.Cmd {
	m.detail = detailPanel{appid: appid}
	m.screen = screenDetail
	return nil
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	a, ok := m.authorizer(m.detail.appid)
	switch {
	case key.Matches(msg, m.keys.Back):
		m.screen = screenDashboard
		m.detail.reveal = false
	case !ok:
	case key.Matches(msg, m.keys.Reveal):
		m.detail.reveal = !m.detail.reveal
	case key.Matches(msg, m.keys.Copy):
		m.setStatus(levelInfo, "fetching a valid access token of "+a.AppID+"…")
		return m.accessTokenCmd(a.AppID)
	case key.Matches(msg, m.keys.CopyRefresh):
		return m.copyRefresh(a)
	case key.Matches(msg, m.keys.Refresh):
		return m.refreshNow(a.AppID)
	case key.Matches(msg, m.keys.Export):
		return m.openExport([]flow.Authorizer{a})
	case key.Matches(msg, m.keys.Down):
		m.detail.scroll++
	case key.Matches(msg, m.keys.Up):
		m.detail.scroll = max(0, m.detail.scroll-1)
	}
	return nil
}

// accountInfo is the account info of a record, decoded once per record version.
func (m *Model) accountInfo(a flow.Authorizer) (flow.AccountInfo, bool) {
	tag := a.AppID + a.UpdatedAt.String()
	if m.detail.infoOf != tag {
		m.detail.infoOf = tag
		m.detail.info, m.detail.infoOK = a.Account()
	}
	return m.detail.info, m.detail.infoOK
}

// detailLines collects the detail screen's lines, each cut to the screen's width.
type detailLines struct {
	out []string
	st  Styles
	w   int
}

func (d *detailLines) add(l string) { d.out = append(d.out, l) }

func (d *detailLines) kv(k, v string) {
	d.add(trunc("   "+d.st.Label.Render(fit(k, 15))+v, d.w))
}

// secret shows a token whole on one line when revealed, so it can be selected: beside its
// label, else on a line of its own; cut visibly when even that is too narrow (fits false: the
// copy keys take it whole).
func (d *detailLines) secret(k, v string, reveal bool) (fits bool) {
	if !reveal || v == "" || ansiWidth(v) <= d.w-18 {
		d.kv(k, v)
		return true
	}
	d.add("   " + d.st.Label.Render(k))
	shown, fits := whole(v, max(10, d.w-1))
	d.add(" " + shown)
	return fits
}

func (d *detailLines) section(s string) { d.add(""); d.add(" " + d.st.Section.Render(s)) }

func (m *Model) renderDetail(bodyH int) []string {
	st := m.styles
	a, ok := m.authorizer(m.detail.appid)
	if !ok {
		return padLines([]string{" " + st.Warn.Render(m.detail.appid+" is no longer listed for this platform") + st.Dim.Render(" · esc goes back")}, bodyH)
	}
	d := &detailLines{st: st, w: m.width}
	name := flow.Printable(a.NickName)
	if name == "" {
		name = a.AppID
	}
	label, level := rowStatus(a, m.now, m.refreshing[a.AppID])
	d.add(trunc(" "+st.Bold.Render(name)+st.Dim.Render("  "+a.AppID+" · "+kindLong(a.Kind)+" · ")+st.levelStyle(level).Render(label), m.width))
	m.detailAccount(d, a)
	m.detailPermissions(d, a)
	m.detailTokens(d, a)
	start := min(m.detail.scroll, max(0, len(d.out)-bodyH))
	return padLines(d.out[start:], bodyH)
}

// detailAccount is the account's identity: original id, principal, alias, categories.
func (m *Model) detailAccount(d *detailLines, a flow.Authorizer) {
	d.section("Account")
	d.kv("original id", orDash(flow.Printable(a.UserName)))
	d.kv("principal", orDash(flow.Printable(a.PrincipalName)))
	if info, ok := m.accountInfo(a); ok {
		if info.Alias != "" {
			d.kv("alias", flow.Printable(info.Alias))
		}
		if len(info.Categories) > 0 {
			d.kv("categories", flow.Printable(strings.Join(info.Categories, ", ")))
		}
	}
	d.kv("authorized", a.AuthorizedAt.In(m.now.Location()).Format("2006-01-02 15:04:05")+d.st.Dim.Render(" ("+ago(m.now, a.AuthorizedAt)+")"))
}

// detailPermissions lists the granted permission sets by id and name.
func (m *Model) detailPermissions(d *detailLines, a flow.Authorizer) {
	d.section("Permission sets (" + itoa(len(a.FuncInfo)) + ")")
	names := make([]string, len(a.FuncInfo))
	for i, id := range a.FuncInfo {
		names[i] = itoa(id) + " " + flow.FuncName(id)
	}
	if len(names) == 0 {
		d.add("   " + d.st.Dim.Render("none granted"))
	}
	for _, l := range wrapItems(names, " · ", max(10, m.width-4)) {
		d.add("   " + l)
	}
}

// detailTokens shows the tokens, masked unless revealed, the access token's countdown and the
// last error.
func (m *Model) detailTokens(d *detailLines, a flow.Authorizer) {
	st, reveal := d.st, m.detail.reveal
	d.section("Tokens")
	show := flow.Mask
	if reveal {
		show = func(s string) string { return s }
	}
	access := show(a.AccessToken)
	if access == "" {
		access = st.Dim.Render("none")
	}
	fits := d.secret("access token", access, reveal)
	switch {
	case a.AccessExpiresAt.IsZero():
	case a.Health(m.now) == flow.HealthRevoked:
		d.kv("expires in", st.Dim.Render("— revoked: the token no longer works"))
	case a.AccessExpiresAt.After(m.now):
		life := a.AccessExpiresAt.Sub(a.AccessObtainedAt)
		left := a.AccessExpiresAt.Sub(m.now)
		d.kv("expires in", bar(st, float64(left)/float64(max(life, 1)), 20)+" "+countdown(left)+st.Dim.Render(" at "+a.AccessExpiresAt.In(m.now.Location()).Format("15:04:05")))
	default:
		d.kv("expires in", st.Warn.Render("expired "+ago(m.now, a.AccessExpiresAt)))
	}
	refresh := show(a.RefreshToken)
	if refresh == "" {
		refresh = st.Err.Render("missing: the next refresh recovers it from api_get_authorizer_list")
	}
	fits = d.secret("refresh token", refresh, reveal) && fits
	if a.LastError != "" {
		d.kv("last error", st.Err.Render(oneLine(a.LastError))+st.Dim.Render(" ("+ago(m.now, a.LastErrorAt)+")"))
	} else {
		d.kv("last error", st.Dim.Render("none"))
	}
	if reveal {
		d.add("")
		d.add(" " + st.Warn.Render("tokens are revealed: v masks them again"))
		if !fits {
			d.add(" " + st.Dim.Render("cut to fit the terminal: c and C copy them whole"))
		}
	}
}

func kindLong(kind string) string {
	switch kind {
	case "miniprogram":
		return "mini program"
	case "officialaccount":
		return "official account"
	}
	return "account"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
