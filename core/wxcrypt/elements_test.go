package wxcrypt_test

import (
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
