package flow_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/release"
	"wxauth/core/sandbox"
	"wxauth/core/wxcrypt"
)

// sealMessage builds the encrypted message WeChat pushes to the message URL.
func sealMessage(t *testing.T, c *wxcrypt.Crypter, to string, msg []byte, nonce int) wxcrypt.Push {
	t.Helper()
	p, err := c.SealMessage(strings.NewReader("0123456789abcdef"), to, msg, strconv.FormatInt(time.Now().Unix(), 10), strconv.Itoa(nonce))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sbCrypter(t *testing.T, sb *sandbox.Sandbox) *wxcrypt.Crypter {
	t.Helper()
	c, err := wxcrypt.New(sb.Platform.Token, sb.Platform.EncodingAESKey, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMessageURL(t *testing.T) {
	sb, _ := start(t)
	c := sbCrypter(t, sb)
	events, stop := sb.Engine.Subscribe(64)
	t.Cleanup(stop)
	test := release.TestAccounts()[0]
	now := time.Now()
	user := release.DefaultTestOpenID
	text := sealMessage(t, c, test.UserName, release.TextMessageXML(test.UserName, user, release.TextMessage, now, 1), 1)
	event := sealMessage(t, c, test.UserName, release.EventMessageXML(test.UserName, user, "LOCATION", now), 2)
	other := sealMessage(t, c, "gh_000000000001", release.TextMessageXML("gh_000000000001", user, release.TextMessage, now, 3), 3)
	forged := text.Query
	forged.MsgSignature = strings.Repeat("0", 40)
	cases := []struct {
		name   string
		appid  string
		push   wxcrypt.Push
		query  wxcrypt.PushQuery
		status int
		reply  string // decrypted Content, or the plain body when not encrypted
	}{
		{"release text", test.AppID, text, text.Query, 200, release.TextMessage + "_callback"},
		{"release event", test.AppID, event, event.Query, 200, "LOCATIONfrom_callback"},
		{"ordinary account", "wx0000000000000001", other, other.Query, 200, "success"},
		{"bad signature", test.AppID, text, forged, 403, "-40001"},
		{"not an appid", "$APPID$", text, text.Query, 404, "not an appid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(sb.ListenURL+"/wechat/messages/"+tc.appid+"?"+tc.query.Encode(), "text/xml", bytes.NewReader(tc.push.Body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b.String())
			}
			got := b.String()
			if strings.HasPrefix(got, "<xml>") {
				plain, err := c.OpenReply(b.Bytes())
				if err != nil {
					t.Fatalf("reply does not open: %v", err)
				}
				got, _ = wxcrypt.ElementText(plain, "Content")
				if to, _ := wxcrypt.ElementText(plain, "ToUserName"); to != user {
					t.Fatalf("reply to %q, want the sender %q", to, user)
				}
			}
			if !strings.Contains(got, tc.reply) {
				t.Fatalf("reply %q, want %q", got, tc.reply)
			}
		})
	}
	// The ordinary account's message is recorded by type, without its content.
	for {
		ev := waitEvent(t, events, flow.EventMessageReceived)
		if ev.AuthorizerAppID == "wx0000000000000001" {
			if !strings.Contains(ev.Message, "text message") || strings.Contains(ev.Message, release.TextMessage) {
				t.Fatalf("event %q", ev.Message)
			}
			break
		}
	}
}

func TestMessageURLEcho(t *testing.T) {
	sb, _ := start(t)
	c := sbCrypter(t, sb)
	cases := []struct {
		name, signature string
		status          int
		body            string
	}{
		{"valid", c.Signature("1700000000", "77"), 200, "echo-123"},
		{"forged", strings.Repeat("0", 40), 403, "-40001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"signature": {tc.signature}, "timestamp": {"1700000000"}, "nonce": {"77"}, "echostr": {"echo-123"}}
			resp, err := http.Get(sb.ListenURL + "/wechat/messages/wx570bc396a51b8ff8?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(b.String(), tc.body) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b.String(), tc.status, tc.body)
			}
		})
	}
}

func TestSimulatorReleaseTestPasses(t *testing.T) {
	sb, ctx := start(t)
	rep, err := sb.Sim.ReleaseTest(ctx, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if !it.OK {
			t.Errorf("[%s] failed: %s", it.Name, it.Why)
		}
	}
	if len(rep.Items) != len(release.CheckItems()) || !rep.Passed {
		t.Fatalf("report %+v", rep)
	}
	for i, name := range release.CheckItems() {
		if rep.Items[i].Name != name {
			t.Errorf("item %d is %q, want %q", i, rep.Items[i].Name, name)
		}
	}
}

// A message URL that acknowledges everything with `success` (a listener without the release
// responder) fails the message items, each with its reason; the ticket and grant items pass.
func TestSimulatorReleaseTestReportsFailures(t *testing.T) {
	sb, ctx := start(t)
	naive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "success") }))
	t.Cleanup(naive.Close)
	body := `{"component_appid":"` + sb.Platform.ComponentAppID + `","message_url":"` + naive.URL + `/wx/$APPID$"}`
	resp, err := http.Post(sb.SimURL+"/sim/platform", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/sim/platform: %d", resp.StatusCode)
	}
	rep, err := sb.Sim.ReleaseTest(ctx, sb.Platform.ComponentAppID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"组件ticket正确接收": "", "授权": "", "返回普通文本消息": "not an encrypted reply",
		"发送事件消息": "not an encrypted reply", "返回Api文本消息": "custom/send"}
	for _, it := range rep.Items {
		why, ok := want[it.Name]
		if !ok {
			continue
		}
		if (why == "") != it.OK || !strings.Contains(it.Why, why) {
			t.Errorf("[%s] ok=%v why=%q, want failure containing %q", it.Name, it.OK, it.Why, why)
		}
	}
	if rep.Passed {
		t.Fatal("the test passed against a listener that only says success")
	}
}
