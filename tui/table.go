package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"wxauth/core/flow"
)

// sortKey is a column the authorizers table can be ordered by.
type sortKey int

const (
	sortAppID sortKey = iota
	sortName
	sortStatus
	sortExpiry
	sortKeys // count
)

func (k sortKey) String() string {
	return [...]string{"appid", "name", "status", "token expiry"}[k]
}

// authTable is the authorizers table. It keeps the rows in a filtered, sorted index computed
// when the data, the filter or the order change, and renders only the visible window: with
// 10,000 authorizers a frame costs the same as with 20.
type authTable struct {
	all    []flow.Authorizer
	search []string // lower-cased searchable text per row, built once per data load
	names  []string // lower-cased nick names, for sorting
	view   []int    // indices into all: the filtered, sorted rows
	cursor int      // position in view
	offset int      // first visible position
	height int      // visible rows

	filter string
	key    sortKey
	desc   bool
}

// SetRows replaces the data and keeps the selection on the same appid when it is still there.
func (t *authTable) SetRows(rows []flow.Authorizer) {
	sel, hadSel := t.Selected()
	t.all = rows
	t.search = make([]string, len(rows))
	t.names = make([]string, len(rows))
	for i, a := range rows {
		t.names[i] = strings.ToLower(a.NickName)
		t.search[i] = strings.ToLower(a.AppID + "\x00" + a.NickName + "\x00" + a.Kind + "\x00" + string(a.Status) + "\x00" + a.PrincipalName + "\x00" + a.UserName)
	}
	t.rebuild()
	if hadSel {
		t.Select(sel.AppID)
	}
}

// Select moves the cursor to appid if it is shown.
func (t *authTable) Select(appid string) bool {
	for pos, i := range t.view {
		if t.all[i].AppID == appid {
			t.cursor = pos
			t.scroll()
			return true
		}
	}
	return false
}

// SetFilter shows only rows whose appid, name, kind, status or principal contain f.
func (t *authTable) SetFilter(f string) {
	f = strings.ToLower(strings.TrimSpace(f))
	if f == t.filter {
		return
	}
	sel, ok := t.Selected()
	t.filter = f
	t.rebuild()
	if !ok || !t.Select(sel.AppID) {
		t.cursor, t.offset = 0, 0
	}
}

// CycleSort orders by the next column.
func (t *authTable) CycleSort() {
	t.key = (t.key + 1) % sortKeys
	t.resort()
}

// Reverse flips the order.
func (t *authTable) Reverse() {
	t.desc = !t.desc
	t.resort()
}

func (t *authTable) resort() {
	sel, ok := t.Selected()
	t.rebuild()
	if ok {
		t.Select(sel.AppID)
	}
}

func (t *authTable) rebuild() {
	t.view = t.view[:0]
	for i := range t.all {
		if t.filter == "" || strings.Contains(t.search[i], t.filter) {
			t.view = append(t.view, i)
		}
	}
	key, desc := t.key, t.desc
	slices.SortStableFunc(t.view, func(x, y int) int {
		a, b := &t.all[x], &t.all[y]
		var c int
		switch key {
		case sortName:
			c = cmp.Compare(t.names[x], t.names[y])
		case sortStatus:
			c = cmp.Compare(statusRank(a.Status), statusRank(b.Status))
		case sortExpiry:
			c = a.AccessExpiresAt.Compare(b.AccessExpiresAt)
		}
		if c == 0 {
			c = cmp.Compare(a.AppID, b.AppID)
		}
		if desc {
			c = -c
		}
		return c
	})
	t.clamp()
}

// statusRank puts the rows needing attention first when sorting by status.
func statusRank(s flow.AuthorizerStatus) int {
	switch s {
	case flow.AuthorizerNeedsReauth:
		return 0
	case flow.AuthorizerError:
		return 1
	case flow.AuthorizerRevoked:
		return 2
	case flow.AuthorizerSuperseded:
		return 3
	case flow.AuthorizerNoToken:
		return 4
	}
	return 5
}

// Len is the number of rows shown (after filtering); Total the number loaded.
func (t *authTable) Len() int   { return len(t.view) }
func (t *authTable) Total() int { return len(t.all) }

// Selected returns the authorizer under the cursor.
func (t *authTable) Selected() (flow.Authorizer, bool) {
	if t.cursor < 0 || t.cursor >= len(t.view) {
		return flow.Authorizer{}, false
	}
	return t.all[t.view[t.cursor]], true
}

// Visible returns the authorizers shown, in order (for export).
func (t *authTable) Visible() []flow.Authorizer {
	out := make([]flow.Authorizer, len(t.view))
	for i, idx := range t.view {
		out[i] = t.all[idx]
	}
	return out
}

// Move moves the cursor by n rows (negative is up).
func (t *authTable) Move(n int) {
	t.cursor += n
	t.clamp()
}

// Page moves by a screenful.
func (t *authTable) Page(dir int) { t.Move(dir * max(1, t.height-1)) }

// Home and End jump to the first and last rows.
func (t *authTable) Home() { t.cursor = 0; t.clamp() }
func (t *authTable) End()  { t.cursor = len(t.view) - 1; t.clamp() }

// SetHeight sets how many rows are visible.
func (t *authTable) SetHeight(h int) {
	t.height = max(1, h)
	t.clamp()
}

func (t *authTable) clamp() {
	t.cursor = max(0, min(t.cursor, len(t.view)-1))
	t.scroll()
}

// scroll keeps the cursor inside the visible window.
func (t *authTable) scroll() {
	h := max(1, t.height)
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+h {
		t.offset = t.cursor - h + 1
	}
	t.offset = max(0, min(t.offset, len(t.view)-h))
}

// columns are the widths of the table's columns for a total width.
type columns struct{ appid, name, kind, status, token, refresh, lastErr int }

func tableColumns(width int) columns {
	c := columns{appid: 18, kind: 4, status: 13, token: 7, refresh: 7}
	rest := width - 2 - c.appid - c.kind - c.status - c.token - c.refresh - 6 // marker and gaps
	c.name = max(6, min(24, rest*3/5))
	c.lastErr = max(0, rest-c.name)
	return c
}

// healthLevels are the display levels of the engine's healths.
var healthLevels = map[flow.Health]string{
	flow.HealthOK:          levelOK,
	flow.HealthExpired:     levelWarn,
	flow.HealthSuperseded:  levelWarn,
	flow.HealthNoToken:     levelWarn,
	flow.HealthError:       levelErr,
	flow.HealthNeedsReauth: levelErr,
	flow.HealthRevoked:     levelErr,
}

// rowStatus is how an authorizer's state reads in the table and the detail view: its health
// (the engine's word), or that the console is refreshing it.
func rowStatus(a flow.Authorizer, now time.Time, refreshing bool) (string, string) {
	if refreshing {
		return "refreshing", levelInfo
	}
	h := a.Health(now)
	if level, ok := healthLevels[h]; ok {
		return string(h), level
	}
	return string(h), levelInfo
}

// tokenLeft is the access-token countdown cell; a revoked account's token counts nothing down
// (WeChat refuses it whatever its expiry says).
func tokenLeft(a flow.Authorizer, now time.Time) string {
	if a.AccessToken == "" || a.AccessExpiresAt.IsZero() || a.Health(now) == flow.HealthRevoked {
		return "—"
	}
	if !a.AccessExpiresAt.After(now) {
		return "expired"
	}
	return countdown(a.AccessExpiresAt.Sub(now))
}

func kindShort(kind string) string {
	switch kind {
	case "miniprogram":
		return "MP"
	case "officialaccount":
		return "OA"
	}
	return "?"
}

// Render draws the header and the visible rows: exactly height+1 lines of width cells.
func (t *authTable) Render(st Styles, width int, now time.Time, refreshing map[string]bool) []string {
	c := tableColumns(width)
	lines := make([]string, 0, t.height+1)
	head := "  " + fit("APPID", c.appid) + " " + fit("NAME", c.name) + " " + fit("KIND", c.kind) + " " +
		fit("STATUS", c.status) + " " + fit("TOKEN", c.token) + " " + fit("REFRESH", c.refresh) + " " + fit("LAST ERROR", c.lastErr)
	lines = append(lines, st.TableHeader.Render(fit(head, width)))
	if len(t.view) == 0 && t.filter != "" {
		return append(lines, fit("  "+st.Dim.Render("no account matches '"+flow.Printable(t.filter)+"' — esc clears the filter"), width))
	}
	end := min(len(t.view), t.offset+t.height)
	for pos := t.offset; pos < end; pos++ {
		a := t.all[t.view[pos]]
		label, level := rowStatus(a, now, refreshing[a.AppID])
		rt := "ok"
		if a.RefreshToken == "" {
			rt = "missing"
		}
		name := flow.Printable(a.NickName) // names and errors come from outside
		if name == "" {
			name = "—"
		}
		lastErr := oneLine(a.LastError)
		if lastErr == "" {
			lastErr = "—"
		}
		selected := pos == t.cursor
		marker := "  "
		if selected {
			marker = "▸ "
		}
		statusCell := fit(label, c.status)
		if !selected {
			statusCell = st.levelStyle(level).Render(statusCell)
		}
		row := marker + fit(a.AppID, c.appid) + " " + fit(name, c.name) + " " + fit(kindShort(a.Kind), c.kind) + " " +
			statusCell + " " + fit(tokenLeft(a, now), c.token) + " " + fit(rt, c.refresh) + " " + fit(lastErr, c.lastErr)
		if selected {
			lines = append(lines, st.Selected.Render(fit(row, width)))
		} else {
			lines = append(lines, fit(row, width))
		}
	}
	return lines
}
