package wxcrypt

import (
	"bytes"
	"strings"
)

// Elements calls fn with the name and text of each child element of a flat WeChat document
// (<xml><Name>text</Name>…</xml>, the layout of every push and reply), in one pass over it and
// without allocating: the text has its CDATA wrapper removed and surrounding whitespace
// trimmed, as ElementText does, and both slices alias doc. A child's own children are not
// visited (WeChat's documents have none). It stops at the first element left unclosed.
func Elements(doc []byte, fn func(name, text []byte)) {
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
			continue // a closing tag (</xml>), a comment or a declaration
		}
		end := closingTag(d, name)
		if end < 0 {
			return
		}
		fn(name, elementText(d[:end]))
		d = d[end+len(name)+3:]
	}
}

// closingTag is the index of the first </name> in d, or -1.
func closingTag(d, name []byte) int {
	for off := 0; ; {
		k := bytes.IndexByte(d[off:], '<') // cheaper than bytes.Index for "</" on short texts
		if k < 0 {
			return -1
		}
		k += off
		rest := d[k+1:]
		if len(rest) > len(name)+1 && rest[0] == '/' && rest[len(name)+1] == '>' && bytes.Equal(rest[1:len(name)+1], name) {
			return k
		}
		off = k + 1
	}
}

func elementText(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if bytes.HasPrefix(v, []byte("<![CDATA[")) && bytes.HasSuffix(v, []byte("]]>")) && len(v) >= len("<![CDATA[]]>") {
		return v[len("<![CDATA[") : len(v)-len("]]>")]
	}
	return v
}

// CopyTexts sets each *dst[i] to string(src[i]) with a single allocation: the texts are
// copied one after the other into one new string and each field is a substring of it. It runs
// on every push, where a copy per field cost more than the parse itself.
func CopyTexts(dst []*string, src [][]byte) {
	n := 0
	for _, s := range src {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range src {
		b.Write(s)
	}
	all := b.String()
	for i, s := range src {
		*dst[i], all = all[:len(s)], all[len(s):]
	}
}
