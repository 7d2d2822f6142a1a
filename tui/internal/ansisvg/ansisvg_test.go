package ansisvg

import (
	"image/color"
	"strings"
	"testing"
)

func TestParseSGR(t *testing.T) {
	in := "\x1b[1;38;2;121;192;255mwx\x1b[0m 青\x1b[48;5;196mX\x1b[49m\x1b]8;;http://x\x07L\x1b]8;;\x07\n\x1b[7mR\x1b[27m\x1b[93mY\n"
	s, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 2 || s.Width != 7 {
		t.Fatalf("rows %d width %d", len(s.Rows), s.Width)
	}
	r := s.Rows[0]
	if r[0].r != 'w' || !r[0].style.bold || *r[0].style.fg != (color.RGBA{121, 192, 255, 255}) {
		t.Fatalf("first cell %+v", r[0])
	}
	if r[2].r != ' ' || r[2].style.bold || r[2].style.fg != nil {
		t.Fatalf("reset cell %+v", r[2])
	}
	if r[3].r != '青' || !r[3].wide || !r[4].cont {
		t.Fatal("a wide rune should take two cells")
	}
	if r[5].r != 'X' || *r[5].style.bg != (color.RGBA{255, 0, 0, 255}) {
		t.Fatalf("256-colour background %+v", r[5].style.bg)
	}
	if r[6].r != 'L' || r[6].style.bg != nil {
		t.Fatalf("OSC skipped, background reset: %+v", r[6])
	}
	if !s.Rows[1][0].style.reversed || s.Rows[1][1].style.reversed || *s.Rows[1][1].style.fg != *palette(11) {
		t.Fatal("reverse and bright colours")
	}
}

func TestRender(t *testing.T) {
	s, _ := Parse(strings.NewReader("\x1b[42mok\x1b[0m <&>\n"))
	var b strings.Builder
	o := DefaultOptions()
	o.Title = "wxauth"
	if err := Render(&b, s, o); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	for _, want := range []string{"<svg ", `fill="#0dbc79"`, ">ok</text>", "&lt;&amp;&gt;", ">wxauth</text>", "</svg>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q in\n%s", want, svg)
		}
	}
}
