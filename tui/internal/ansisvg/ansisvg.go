// Package ansisvg turns a captured terminal screen (text with SGR colour sequences, as
// `tmux capture-pane -e -p` prints it) into an SVG image, for the README's screenshot of the
// real console. It understands the SGR attributes terminals emit for a TUI: bold, faint,
// italic, underline, reverse, the 16 colours, the 256-colour palette and 24-bit colour; other
// escape sequences are skipped.
package ansisvg

import (
	"bufio"
	"fmt"
	"html"
	"image/color"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// Options shape the picture.
type Options struct {
	FontSize   float64 // px; default 14
	Foreground color.RGBA
	Background color.RGBA
	Title      string // window title drawn in a header bar; "" for none
}

// DefaultOptions is a dark terminal.
func DefaultOptions() Options {
	return Options{FontSize: 14, Foreground: color.RGBA{0xE6, 0xED, 0xF3, 0xFF}, Background: color.RGBA{0x0D, 0x11, 0x17, 0xFF}}
}

type style struct {
	fg, bg                                   *color.RGBA
	bold, faint, italic, underline, reversed bool
}

type cell struct {
	r     rune
	wide  bool // takes this cell and the next
	cont  bool // the second half of a wide rune
	style style
}

// Screen is a parsed capture: rows of cells.
type Screen struct {
	Rows  [][]cell
	Width int
}

// Parse reads a capture.
func Parse(r io.Reader) (*Screen, error) {
	s := &Screen{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var st style // SGR state carries across lines, as in the terminal
	for sc.Scan() {
		row := parseLine(sc.Text(), &st)
		s.Rows = append(s.Rows, row)
		s.Width = max(s.Width, len(row))
	}
	return s, sc.Err()
}

func parseLine(line string, st *style) []cell {
	var row []cell
	for i := 0; i < len(line); {
		c := line[i]
		if c == 0x1b && i+1 < len(line) {
			switch line[i+1] {
			case '[': // CSI: parameters, intermediates, final byte
				j := i + 2
				for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
					j++
				}
				if j < len(line) && line[j] == 'm' {
					applySGR(st, line[i+2:j])
				}
				i = min(j+1, len(line))
				continue
			case ']': // OSC: up to BEL or ST
				j := i + 2
				for j < len(line) && line[j] != 0x07 && !(line[j] == 0x1b && j+1 < len(line) && line[j+1] == '\\') {
					j++
				}
				if j < len(line) && line[j] == 0x1b {
					j++
				}
				i = min(j+1, len(line))
				continue
			default:
				i += 2
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		i += size
		if r < 0x20 {
			continue
		}
		w := runewidth.RuneWidth(r)
		if w == 0 {
			continue
		}
		row = append(row, cell{r: r, wide: w == 2, style: *st})
		if w == 2 {
			row = append(row, cell{cont: true, style: *st})
		}
	}
	return row
}

func applySGR(st *style, params string) {
	if params == "" {
		*st = style{}
		return
	}
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	num := func(i int) int {
		if i >= len(ps) {
			return -1
		}
		n, err := strconv.Atoi(ps[i])
		if err != nil {
			return -1
		}
		return n
	}
	for i := 0; i < len(ps); i++ {
		switch p := num(i); {
		case p == 0:
			*st = style{}
		case p == 1:
			st.bold = true
		case p == 2:
			st.faint = true
		case p == 3:
			st.italic = true
		case p == 4:
			st.underline = true
		case p == 7:
			st.reversed = true
		case p == 22:
			st.bold, st.faint = false, false
		case p == 23:
			st.italic = false
		case p == 24:
			st.underline = false
		case p == 27:
			st.reversed = false
		case p >= 30 && p <= 37:
			st.fg = palette(p - 30)
		case p >= 90 && p <= 97:
			st.fg = palette(p - 90 + 8)
		case p == 39:
			st.fg = nil
		case p >= 40 && p <= 47:
			st.bg = palette(p - 40)
		case p >= 100 && p <= 107:
			st.bg = palette(p - 100 + 8)
		case p == 49:
			st.bg = nil
		case p == 38 || p == 48:
			var c *color.RGBA
			switch num(i + 1) {
			case 5:
				c = palette(num(i + 2))
				i += 2
			case 2:
				c = &color.RGBA{uint8(num(i + 2)), uint8(num(i + 3)), uint8(num(i + 4)), 0xFF}
				i += 4
			}
			if p == 38 {
				st.fg = c
			} else {
				st.bg = c
			}
		}
	}
}

// palette is the xterm 256-colour palette.
func palette(n int) *color.RGBA {
	base := [16][3]uint8{{0, 0, 0}, {205, 49, 49}, {13, 188, 121}, {229, 229, 16}, {36, 114, 200}, {188, 63, 188}, {17, 168, 205}, {229, 229, 229},
		{102, 102, 102}, {241, 76, 76}, {35, 209, 139}, {245, 245, 67}, {59, 142, 234}, {214, 112, 214}, {41, 184, 219}, {255, 255, 255}}
	switch {
	case n < 0 || n > 255:
		return nil
	case n < 16:
		return &color.RGBA{base[n][0], base[n][1], base[n][2], 0xFF}
	case n < 232:
		n -= 16
		level := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + v*40)
		}
		return &color.RGBA{level(n / 36), level(n / 6 % 6), level(n % 6), 0xFF}
	}
	g := uint8(8 + (n-232)*10)
	return &color.RGBA{g, g, g, 0xFF}
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// colours resolves a cell's foreground and background, reverse video and faintness applied.
func (o Options) colours(st style) (fg, bg color.RGBA, hasBg bool) {
	fg, bg = o.Foreground, o.Background
	if st.fg != nil {
		fg = *st.fg
	}
	if st.bg != nil {
		bg, hasBg = *st.bg, true
	}
	if st.reversed {
		fg, bg, hasBg = bg, fg, true
	}
	if st.faint {
		fg = color.RGBA{uint8((int(fg.R) + int(bg.R)) / 2), uint8((int(fg.G) + int(bg.G)) / 2), uint8((int(fg.B) + int(bg.B)) / 2), 0xFF}
	}
	return fg, bg, hasBg
}

// Render writes the screen as SVG.
func Render(w io.Writer, s *Screen, o Options) error {
	if o.FontSize == 0 {
		o = DefaultOptions()
	}
	cw, lh := o.FontSize*0.6, o.FontSize*1.25 // a monospace advance is 0.6 em
	pad, top := o.FontSize, o.FontSize
	if o.Title != "" {
		top = o.FontSize * 2.6
	}
	width := pad*2 + cw*float64(s.Width)
	height := top + pad + lh*float64(len(s.Rows))
	var b strings.Builder
	// xml:space keeps runs of spaces (columns) where renderers ignore CSS white-space.
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" width="%.0f" height="%.0f" viewBox="0 0 %.1f %.1f">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<style>text{font-family:"DejaVu Sans Mono","Menlo","Consolas","Noto Sans Mono CJK SC",monospace;font-size:%.0fpx;white-space:pre}.b{font-weight:bold}.i{font-style:italic}.u{text-decoration:underline}</style>`+"\n", o.FontSize)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" rx="8" fill="%s"/>`+"\n", hex(o.Background))
	if o.Title != "" {
		for i, c := range []string{"#ff5f57", "#febc2e", "#28c840"} {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`, pad+float64(i)*o.FontSize*1.4, o.FontSize*1.2, o.FontSize*0.42, c)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" style="text-anchor:middle">%s</text>`+"\n",
			width/2, o.FontSize*1.55, hex(o.Foreground), html.EscapeString(o.Title))
	}
	for y, row := range s.Rows {
		py := top + float64(y)*lh
		base := py + lh*0.78 // text is placed by its baseline
		// Backgrounds first, merged into runs.
		for x := 0; x < len(row); {
			_, bg, has := o.colours(row[x].style)
			end := x + 1
			for end < len(row) {
				_, bg2, has2 := o.colours(row[end].style)
				if has2 != has || bg2 != bg {
					break
				}
				end++
			}
			if has && bg != o.Background {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", pad+float64(x)*cw, py, float64(end-x)*cw+0.5, lh+0.5, hex(bg))
			}
			x = end
		}
		// Text in runs of one style; wide runes are placed one by one so columns stay aligned
		// whatever the font's CJK advance.
		for x := 0; x < len(row); {
			c := row[x]
			if c.cont || c.r == ' ' {
				x++
				continue
			}
			fg, _, _ := o.colours(c.style)
			class := classes(c.style)
			if c.wide {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s"%s textLength="%.1f" lengthAdjust="spacingAndGlyphs">%s</text>`+"\n",
					pad+float64(x)*cw, base, hex(fg), class, 2*cw, html.EscapeString(string(c.r)))
				x += 2
				continue
			}
			var run strings.Builder
			end := x
			for end < len(row) && !row[end].wide && !row[end].cont && row[end].style == c.style {
				run.WriteRune(row[end].r)
				end++
			}
			text := strings.TrimRight(run.String(), " ")
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s"%s textLength="%.1f" lengthAdjust="spacingAndGlyphs">%s</text>`+"\n",
				pad+float64(x)*cw, base, hex(fg), class, float64(len([]rune(text)))*cw, html.EscapeString(text))
			x = end
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func classes(st style) string {
	var cs []string
	if st.bold {
		cs = append(cs, "b")
	}
	if st.italic {
		cs = append(cs, "i")
	}
	if st.underline {
		cs = append(cs, "u")
	}
	if len(cs) == 0 {
		return ""
	}
	return ` class="` + strings.Join(cs, " ") + `"`
}
