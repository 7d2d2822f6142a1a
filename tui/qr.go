package tui

import (
	"fmt"
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the blank margin around the code, in modules. The standard asks for 4; 2 scans
// reliably on screens and saves 4 rows.
const qrQuiet = 2

// qrLines encodes text as a QR code drawn with half blocks: each line carries two module rows,
// so the code is about as tall as it is wide in a terminal cell grid. "█" is two dark modules,
// "▀" a dark top, "▄" a dark bottom, " " two light ones; render it dark-on-light (Styles.QR).
//
// rsc.io/qr is the encoder the maintained qrterminal uses; it returns an error for a payload
// too long instead of panicking, and writes nothing to the terminal.
func qrLines(text string) ([]string, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	n := code.Size + 2*qrQuiet
	dark := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		return x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
	}
	lines := make([]string, 0, (n+1)/2)
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		b.Reset()
		for x := 0; x < n; x++ {
			top, bottom := dark(x, y), y+1 < n && dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		lines = append(lines, b.String())
	}
	return lines, nil
}
