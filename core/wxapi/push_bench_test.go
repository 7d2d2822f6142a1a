package wxapi_test

import (
	"strconv"
	"strings"
	"testing"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// ticketPushes seals n ticket pushes the way bench/sidebyside does (unique tickets, the same
// sizes), with the official vector's keys.
func ticketPushes(b *testing.B, n int) (*wxcrypt.Crypter, []wxcrypt.Push) {
	b.Helper()
	const appid = "wx134c8103faa5a59e"
	c, err := wxcrypt.New("AAAAA", strings.Repeat("A", 43), appid)
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]wxcrypt.Push, n)
	for i := range ps {
		created := int64(1715943329 + i)
		m := wxapi.PushMessage{AppID: appid, CreateTime: created, InfoType: wxapi.InfoTypeVerifyTicket,
			ComponentVerifyTicket: "ticket@@@bench-" + strconv.Itoa(i) + "-" + strings.Repeat("T", 60)}
		if ps[i], err = c.SealPush(strings.NewReader("0123456789abcdef"), m.XML(),
			strconv.FormatInt(created, 10), strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	return c, ps
}

// BenchmarkOpenParseTicket is bench/sidebyside's "verify + decrypt + parse" for wxauth:
// OpenPush (envelope, msg_signature, AES-256-CBC, PKCS#7, appid) then ParsePushMessage.
func BenchmarkOpenParseTicket(b *testing.B) {
	c, ps := ticketPushes(b, 200)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := ps[i%len(ps)]
		i++
		plain, _, err := c.OpenPush(p.Query, p.Body)
		if err != nil {
			b.Fatal(err)
		}
		if m, err := wxapi.ParsePushMessage(plain); err != nil || m.ComponentVerifyTicket == "" {
			b.Fatal(m, err)
		}
	}
}

// BenchmarkParsePushMessage is the last step alone, on a decrypted ticket push.
func BenchmarkParsePushMessage(b *testing.B) {
	c, ps := ticketPushes(b, 1)
	plain, _, err := c.OpenPush(ps[0].Query, ps[0].Body)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m, err := wxapi.ParsePushMessage(plain); err != nil || m.ComponentVerifyTicket == "" {
			b.Fatal(m, err)
		}
	}
}
