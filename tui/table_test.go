package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"wxauth/core/flow"
)

// manyAuthorizers builds n authorizers with varied names, statuses and expiries.
func manyAuthorizers(n int) []flow.Authorizer {
	statuses := []flow.AuthorizerStatus{flow.AuthorizerHealthy, flow.AuthorizerHealthy, flow.AuthorizerHealthy, flow.AuthorizerError, flow.AuthorizerNeedsReauth, flow.AuthorizerRevoked}
	out := make([]flow.Authorizer, n)
	for i := range out {
		out[i] = flow.Authorizer{ComponentAppID: testAppID, AppID: fmt.Sprintf("wx%016x", uint64(i)*0x9e3779b97f4a7c15>>8),
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
		a          flow.Authorizer
		refreshing bool
		want       string
		level      string
	}{
		{flow.Authorizer{Status: flow.AuthorizerHealthy, AccessExpiresAt: t0.Add(time.Hour)}, false, "healthy", levelOK},
		{flow.Authorizer{Status: flow.AuthorizerHealthy, AccessExpiresAt: t0.Add(time.Hour)}, true, "refreshing", levelInfo},
		{flow.Authorizer{Status: flow.AuthorizerHealthy, AccessExpiresAt: t0.Add(-time.Second)}, false, "expired", levelWarn},
		{flow.Authorizer{Status: flow.AuthorizerSuperseded}, false, "superseded", levelWarn},
		{flow.Authorizer{Status: flow.AuthorizerNeedsReauth}, false, "needs re-auth", levelErr},
		{flow.Authorizer{Status: flow.AuthorizerRevoked}, false, "revoked", levelErr},
		{flow.Authorizer{Status: flow.AuthorizerNoToken}, false, "no token", levelWarn},
		{flow.Authorizer{Status: flow.AuthorizerError}, false, "error", levelErr},
		{flow.Authorizer{Status: "paused"}, false, "paused", levelInfo}, // a status this console does not know yet
	}
	for _, tt := range tests {
		if got, level := rowStatus(tt.a, t0, tt.refreshing); got != tt.want || level != tt.level {
			t.Errorf("%s refreshing=%v: %s (%s), want %s (%s)", tt.a.Status, tt.refreshing, got, level, tt.want, tt.level)
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
