package tui

import (
	"encoding/json"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"wxauth/core/flow"
	"wxauth/core/wxapi"
	"wxauth/storage"
)

// detailPanel is the detail screen of one authorizer.
type detailPanel struct {
	appid  string
	reveal bool
	info   *wxapi.AuthorizerInfo // decoded InfoJSON, cached per record version
	infoOf string                // appid + UpdatedAt the cache is for
	scroll int
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
		return m.openExport([]storage.Authorizer{a})
	case key.Matches(msg, m.keys.Down):
		m.detail.scroll++
	case key.Matches(msg, m.keys.Up):
		m.detail.scroll = max(0, m.detail.scroll-1)
	}
	return nil
}

// accountInfo decodes the stored api_get_authorizer_info payload for display.
func (m *Model) accountInfo(a storage.Authorizer) *wxapi.AuthorizerInfo {
	tag := a.AppID + a.UpdatedAt.String()
	if m.detail.infoOf == tag {
		return m.detail.info
	}
	m.detail.infoOf, m.detail.info = tag, nil
	if a.InfoJSON != "" {
		var info wxapi.AuthorizerInfo
		if json.Unmarshal([]byte(a.InfoJSON), &info) == nil {
			m.detail.info = &info
		}
	}
	return m.detail.info
}

func (m *Model) renderDetail(bodyH int) []string {
	st := m.st
	w := m.width
	a, ok := m.authorizer(m.detail.appid)
	if !ok {
		return padLines([]string{" " + st.Warn.Render(m.detail.appid+" is no longer listed for this platform") + st.Dim.Render(" · esc goes back")}, bodyH)
	}
	var out []string
	kv := func(k, v string) { out = append(out, trunc("   "+st.Label.Render(fit(k, 15))+v, w)) }
	// secret shows a token whole when revealed, wrapped under its label so it can be selected.
	secret := func(k, v string) {
		if !m.detail.reveal || v == "" {
			kv(k, v)
			return
		}
		for i, l := range strings.Split(hardWrap(v, max(10, w-18)), "\n") {
			if i == 0 {
				out = append(out, "   "+st.Label.Render(fit(k, 15))+l)
			} else {
				out = append(out, strings.Repeat(" ", 18)+l)
			}
		}
	}
	section := func(s string) { out = append(out, "", " "+st.Section.Render(s)) }

	name := a.NickName
	if name == "" {
		name = a.AppID
	}
	label, level := rowStatus(a, m.now, m.refreshing[a.AppID])
	out = append(out, trunc(" "+st.Bold.Render(name)+st.Dim.Render("  "+a.AppID+" · "+kindLong(a.Kind)+" · ")+st.levelStyle(level).Render(label), w))

	section("Account")
	kv("original id", orDash(a.UserName))
	kv("principal", orDash(a.PrincipalName))
	if info := m.accountInfo(a); info != nil {
		if info.Alias != "" {
			kv("alias", info.Alias)
		}
		if mp := info.MiniProgramInfo; mp != nil && len(mp.Categories) > 0 {
			cats := make([]string, len(mp.Categories))
			for i, c := range mp.Categories {
				cats[i] = c.First + "/" + c.Second
			}
			kv("categories", strings.Join(cats, ", "))
		}
	}
	kv("authorized", a.AuthorizedAt.In(m.now.Location()).Format("2006-01-02 15:04:05")+st.Dim.Render(" ("+ago(m.now, a.AuthorizedAt)+")"))

	section("Permission sets (" + itoa(len(a.FuncInfo)) + ")")
	names := make([]string, len(a.FuncInfo))
	for i, id := range a.FuncInfo {
		names[i] = itoa(id) + " " + flow.FuncName(id)
	}
	if len(names) == 0 {
		out = append(out, "   "+st.Dim.Render("none granted"))
	}
	for _, l := range wrap(strings.Join(names, " · "), max(10, w-4)) {
		out = append(out, "   "+l)
	}

	section("Tokens")
	show := flow.Mask
	if m.detail.reveal {
		show = func(s string) string { return s }
	}
	access := show(a.AccessToken)
	if access == "" {
		access = st.Dim.Render("none")
	}
	secret("access token", access)
	switch {
	case a.AccessExpiresAt.IsZero():
	case a.AccessExpiresAt.After(m.now):
		life := a.AccessExpiresAt.Sub(a.AccessObtainedAt)
		left := a.AccessExpiresAt.Sub(m.now)
		kv("expires in", bar(st, float64(left)/float64(max(life, 1)), 20)+" "+countdown(left)+st.Dim.Render(" at "+a.AccessExpiresAt.In(m.now.Location()).Format("15:04:05")))
	default:
		kv("expires in", st.Warn.Render("expired "+ago(m.now, a.AccessExpiresAt)))
	}
	refresh := show(a.RefreshToken)
	if refresh == "" {
		refresh = st.Err.Render("missing: the next refresh recovers it from api_get_authorizer_list")
	}
	secret("refresh token", refresh)
	if a.LastError != "" {
		kv("last error", st.Err.Render(a.LastError)+st.Dim.Render(" ("+ago(m.now, a.LastErrorAt)+")"))
	} else {
		kv("last error", st.Dim.Render("none"))
	}
	if m.detail.reveal {
		out = append(out, "", " "+st.Warn.Render("tokens are revealed: v masks them again"))
	}
	start := min(m.detail.scroll, max(0, len(out)-bodyH))
	return padLines(out[start:], bodyH)
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
