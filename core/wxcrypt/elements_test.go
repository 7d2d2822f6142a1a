package wxcrypt_test

import (
	"bytes"
	"strings"
	"testing"

	"wxauth/core/wxcrypt"
)

// TestElementsAgreesWithElementText: the one-pass scanner finds what ElementText finds in
// flat documents of every shape WeChat sends (CDATA or bare, any whitespace, repeated names,
// CDATA holding markup), and stops quietly at a broken one.
func TestElementsAgreesWithElementText(t *testing.T) {
	docs := []string{
		"<xml><AppId><![CDATA[wx1]]></AppId><Encrypt><![CDATA[abc]]></Encrypt></xml>",
		"  <xml>\n    <AppId>wx1</AppId>\n    <CreateTime>1715943329</CreateTime>\n</xml>\n",
		"<xml><A>1</A><A>2</A><B><![CDATA[<x>y</x>]]></B></xml>",
		"<xml><A><![CDATA[]]></A><B> spaced </B></xml>",
		"<xml><A>unclosed<B>2</B></xml>",
		"<xml><!-- note --><A>1</A></xml>",
		"",
		"<xml><",
	}
	for _, doc := range docs {
		first := map[string]string{}
		wxcrypt.Elements([]byte(doc), func(name, text []byte) {
			if _, ok := first[string(name)]; !ok {
				first[string(name)] = string(text)
			}
		})
		for name, got := range first {
			if want, ok := wxcrypt.ElementText([]byte(doc), name); !ok || got != want {
				t.Errorf("%q: <%s> = %q, ElementText %q (%v)", doc, name, got, want, ok)
			}
		}
		if doc == "<xml><A>unclosed<B>2</B></xml>" {
			if len(first) != 0 {
				t.Errorf("%q: Elements read past an unclosed element: %v", doc, first)
			}
			continue
		}
		for _, name := range []string{"AppId", "Encrypt", "CreateTime", "A", "B"} {
			if want, ok := wxcrypt.ElementText([]byte(doc), name); ok {
				if got, seen := first[name]; !seen || got != want {
					t.Errorf("%q: Elements missed <%s> (%q), ElementText has %q", doc, name, got, want)
				}
			}
		}
	}
}

// elementsReference is Elements as first written (closing tags found with bytes.Index), kept
// to check the faster scan against.
func elementsReference(doc []byte, fn func(name, text []byte)) {
	d := bytes.TrimSpace(doc)
	d = bytes.TrimPrefix(d, []byte("<xml>"))
	for {
		i := bytes.IndexByte(d, '<')
		if i < 0 {
			return
		}
		d = d[i+1:]
		j := bytes.IndexByte(d, '>')
		if j < 0 {
			return
		}
		name := d[:j]
		d = d[j+1:]
		if len(name) == 0 || name[0] == '/' || name[0] == '!' || name[0] == '?' {
			continue
		}
		end := -1
		for off := 0; ; {
			k := bytes.Index(d[off:], []byte("</"))
			if k < 0 {
				break
			}
			k += off
			rest := d[k+2:]
			if len(rest) > len(name) && rest[len(name)] == '>' && bytes.Equal(rest[:len(name)], name) {
				end = k
				break
			}
			off = k + 2
		}
		if end < 0 {
			return
		}
		v := bytes.TrimSpace(d[:end])
		if bytes.HasPrefix(v, []byte("<![CDATA[")) && bytes.HasSuffix(v, []byte("]]>")) && len(v) >= len("<![CDATA[]]>") {
			v = v[len("<![CDATA[") : len(v)-len("]]>")]
		}
		fn(name, v)
		d = d[end+len(name)+3:]
	}
}

func FuzzElements(f *testing.F) {
	f.Add([]byte("<xml><AppId><![CDATA[wx1]]></AppId><Encrypt><![CDATA[abc]]></Encrypt></xml>"))
	f.Add([]byte("<xml><A>1</A><A>2</A><B><![CDATA[<x>y</B </B>]]></B></xml>"))
	f.Add([]byte("<xml><A></A ></A><B>< /B></B></xml>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var got, want []string
		wxcrypt.Elements(doc, func(name, text []byte) { got = append(got, string(name)+"="+string(text)) })
		elementsReference(doc, func(name, text []byte) { want = append(want, string(name)+"="+string(text)) })
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Fatalf("Elements = %q, reference %q", got, want)
		}
	})
}
