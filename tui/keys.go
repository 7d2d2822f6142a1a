package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every binding of the console. The help footer is generated from it (see helpFor),
// so what the footer says is exactly what Update matches.
type KeyMap struct {
	Quit, ForceQuit, Help, Back, Enter                                         key.Binding
	Up, Down, PageUp, PageDown, Top, Bottom, NextField, PrevField, Left, Right key.Binding

	Authorize, Approve, PushTicket, Refresh, RenewComponent, Platforms key.Binding
	Import, EditPlatform, Doctor, Release, Publish                     key.Binding
	Filter, Sort, Reverse, FocusNext                                   key.Binding
	Copy, CopyRefresh, Reveal, Export                                  key.Binding
	OpenBrowser, CopyLink, QR, PasteInput, NewSession                  key.Binding
	Yes, No, Submit, AddPlatform, ChooseSandbox, ChooseReal            key.Binding
	Clients, ClientAdd, ClientRotate, ClientRemove                     key.Binding
}

// DefaultKeyMap is the console's key map.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
		ForceQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		Help:      b([]string{"?"}, "?", "all keys"),
		Back:      b([]string{"esc"}, "esc", "back"),
		Enter:     b([]string{"enter"}, "enter", "details"),

		Up:        b([]string{"up", "k"}, "↑/k", "up"),
		Down:      b([]string{"down", "j"}, "↓/j", "down"),
		PageUp:    b([]string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down"),
		Top:       b([]string{"home", "g"}, "g/home", "first"),
		Bottom:    b([]string{"end", "G"}, "G/end", "last"),
		NextField: b([]string{"tab", "down"}, "tab", "next field"),
		PrevField: b([]string{"shift+tab", "up"}, "shift+tab", "previous field"),
		Left:      b([]string{"left", "h"}, "←/→", "change"),
		Right:     b([]string{"right", "l"}, "←/→", "change"),

		Authorize:      b([]string{"a"}, "a", "authorize"),
		Approve:        b([]string{"x"}, "x", "approve (sandbox)"),
		PushTicket:     b([]string{"t"}, "t", "push ticket"),
		Refresh:        b([]string{"r"}, "r", "refresh now"),
		RenewComponent: b([]string{"R"}, "R", "renew comp. token"),
		Platforms:      b([]string{"p"}, "p", "platforms"),
		Import:         b([]string{"I"}, "I", "import accounts"),
		EditPlatform:   b([]string{"e"}, "e", "edit platform"),
		Doctor:         b([]string{"D"}, "D", "doctor"),
		Release:        b([]string{"L"}, "L", "release check"),
		Publish:        b([]string{"P"}, "P", "sinks"),
		Filter:         b([]string{"/"}, "/", "filter"),
		Sort:           b([]string{"s"}, "s", "sort by"),
		Reverse:        b([]string{"S"}, "S", "reverse order"),
		FocusNext:      b([]string{"tab"}, "tab", "table/events"),
		Copy:           b([]string{"c"}, "c", "copy token"),
		CopyRefresh:    b([]string{"C"}, "C", "copy refresh"),
		Reveal:         b([]string{"v"}, "v", "reveal"),
		Export:         b([]string{"e"}, "e", "export"),
		OpenBrowser:    b([]string{"o"}, "o", "open browser"),
		CopyLink:       b([]string{"y"}, "y", "copy link"),
		QR:             b([]string{"m"}, "m", "QR code"),
		PasteInput:     b([]string{"i"}, "i", "paste code"),
		NewSession:     b([]string{"n"}, "n", "new session"),
		Yes:            b([]string{"y", "Y"}, "y", "yes"),
		No:             b([]string{"n", "N", "esc"}, "n", "no"),
		Submit:         b([]string{"ctrl+s"}, "ctrl+s", "save"),
		AddPlatform:    b([]string{"n"}, "n", "add platform"),
		ChooseSandbox:  b([]string{"1"}, "1", "sandbox"),
		ChooseReal:     b([]string{"2"}, "2", "real platform"),
		Clients:        b([]string{"K"}, "K", "clients"),
		ClientAdd:      b([]string{"a"}, "a", "add client"),
		ClientRotate:   b([]string{"R"}, "R", "new key"),
		ClientRemove:   b([]string{"X"}, "X", "remove client"),
	}
}

// helpKeys adapts the bindings relevant to one screen to bubbles/help.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

// enabled drops bindings that do not apply right now (e.g. approve outside the sandbox).
func enabled(bs ...key.Binding) []key.Binding {
	out := bs[:0:0]
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}
