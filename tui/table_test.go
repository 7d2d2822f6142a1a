package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"wxauth/storage"
)

// manyAuthorizers builds n authorizers with varied names, statuses and expiries.
func manyAuthorizers(n int) []storage.Authorizer {
	statuses := []string{storage.StatusHealthy, storage.StatusHealthy, storage.StatusHealthy, storage.StatusError, storage.StatusNeedsReauth, storage.StatusRevoked}
	out := make([]storage.Authorizer, n)
	for i := range out {
		out[i] = storage.Authorizer{ComponentAppID: testAppID, AppID: fmt.Sprintf("wx%016x", uint64(i)*0x9e3779b97f4a7c15>>8),
			NickName: fmt.Sprintf("商户小程序%05d", (i*7919)%n), Kind: []string{"miniprogram", "officialaccount"}[i%2],
			Status: statuses[i%len(statuses)], AccessToken: fmt.Sprintf("tok%d", i), RefreshToken: "refreshtoken@@@x",
			AccessObtainedAt: t0.Add(-time.Hour), AccessExpiresAt: t0.Add(time.Duration(i%7200) * time.Second)}
	}
	return out
}

func TestTableWindowWith10000Rows(t *testing.T) {
	var tb authTable
	tb.SetHeight(20)
	tb.SetRows(manyAuthorizers(10000))
	lines := tb.Render(NewStyles(true), 120, t0, nil)
	if len(lines) != 21 {
		t.Fatalf("rendered %d lines for 20 visible rows", len(lines))
	}
	tb.End()
	if tb.cursor != 9999 || tb.offset != 9980 {
		t.Fatalf("end: cursor %d offset %d", tb.cursor, tb.offset)
	}
	tb.Page(-1)
	if tb.cursor != 9980 || tb.offset != 9980 {
		t.Fatalf("page up: cursor %d offset %d", tb.cursor, tb.offset)
	}
	sel, _ := tb.Selected()
	tb.CycleSort() // by name
	if got, _ := tb.Selected(); got.AppID != sel.AppID {
		t.Fatal("sorting lost the selection")
	}
	tb.SetFilter("商户小程序0123")
	if tb.Len() != 10 {
		t.Fatalf("filter kept %d rows", tb.Len())
	}
	for _, a := range tb.Visible() {
		if !strings.HasPrefix(a.NickName, "商户小程序0123") {
			t.Fatalf("filter kept %s", a.NickName)
		}
	}
	tb.SetFilter("")
	if tb.Len() != 10000 {
		t.Fatal("clearing the filter lost rows")
	}
	// Reloading keeps the selection on the same account.
	tb.Select(sel.AppID)
	tb.SetRows(manyAuthorizers(10000))
	if got, _ := tb.Selected(); got.AppID != sel.AppID {
		t.Fatal("a reload lost the selection")
	}
}

func TestRowStatus(t *testing.T) {
	tests := []struct {
		a          storage.Authorizer
		refreshing bool
		want       string
	}{
		{storage.Authorizer{Status: storage.StatusHealthy, AccessExpiresAt: t0.Add(time.Hour)}, false, "healthy"},
		{storage.Authorizer{Status: storage.StatusHealthy, AccessExpiresAt: t0.Add(time.Hour)}, true, "refreshing"},
		{storage.Authorizer{Status: storage.StatusHealthy, AccessExpiresAt: t0.Add(-time.Second)}, false, "expired"},
		{storage.Authorizer{Status: storage.StatusSuperseded}, false, "superseded"},
		{storage.Authorizer{Status: storage.StatusNeedsReauth}, false, "needs re-auth"},
		{storage.Authorizer{Status: storage.StatusRevoked}, false, "revoked"},
		{storage.Authorizer{Status: storage.StatusNoToken}, false, "no token"},
		{storage.Authorizer{Status: storage.StatusError}, false, "error"},
	}
	for _, tt := range tests {
		if got, _ := rowStatus(tt.a, t0, tt.refreshing); got != tt.want {
			t.Errorf("%s refreshing=%v: %s, want %s", tt.a.Status, tt.refreshing, got, tt.want)
		}
	}
}

func TestCountdown(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {12 * time.Second, "12s"}, {4*time.Minute + 5*time.Second, "4m05s"},
		{time.Hour + 52*time.Minute + 10*time.Second, "1h52m"}, {30 * time.Hour, "1d06h"},
	}
	for _, tt := range tests {
		if got := countdown(tt.d); got != tt.want {
			t.Errorf("countdown(%s) = %s, want %s", tt.d, got, tt.want)
		}
	}
}

// TestQRLinesDecodeToTheCode reads the half blocks back into modules and compares them with
// the encoder's matrix, quiet zone included.
func TestQRLinesDecodeToTheCode(t *testing.T) {
	for _, text := range []string{"https://example.com/device?code=ABCD-1234", fixtureAuthorization().Session.MobileLink} {
		lines, err := qrLines(text)
		if err != nil {
			t.Fatal(err)
		}
		code, err := qr.Encode(text, qr.L)
		if err != nil {
			t.Fatal(err)
		}
		n := code.Size + 2*qrQuiet
		if len(lines) != (n+1)/2 {
			t.Fatalf("%d lines for %d modules", len(lines), n)
		}
		for row, l := range lines {
			cells := []rune(l)
			if len(cells) != n {
				t.Fatalf("line %d has %d cells, want %d", row, len(cells), n)
			}
			for x, c := range cells {
				top, bottom := c == '█' || c == '▀', c == '█' || c == '▄'
				for dy, got := range []bool{top, bottom} {
					y := 2*row + dy
					want := false
					if mx, my := x-qrQuiet, y-qrQuiet; mx >= 0 && my >= 0 && mx < code.Size && my < code.Size {
						want = code.Black(mx, my)
					}
					if y < n && got != want {
						t.Fatalf("module (%d,%d): dark=%v, want %v", x, y, got, want)
					}
				}
			}
		}
	}
	if _, err := qrLines(strings.Repeat("x", 3000)); err == nil {
		t.Fatal("a payload too long for any QR code was accepted")
	}
}

func TestParseCategories(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"", "[]", false}, {"1,17, 18", "[1 17 18]", false}, {"1|2", "[1 2]", false}, {"1，2", "[1 2]", false},
		{"x", "", true}, {"0", "", true}, {"-3", "", true},
	}
	for _, tt := range tests {
		got, err := parseCategories(tt.in)
		if (err != nil) != tt.err || (!tt.err && fmt.Sprint(got) != tt.want) {
			t.Errorf("parseCategories(%q) = %v, %v", tt.in, got, err)
		}
	}
}
