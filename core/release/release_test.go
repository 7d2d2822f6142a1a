package release_test

import (
	"strings"
	"testing"
	"time"

	"wxauth/core/release"
)

func TestDecide(t *testing.T) {
	test := release.TestAccounts()[5] // a mini program
	text := func(c string) release.Message {
		return release.Message{ToUserName: test.UserName, FromUserName: "openid", MsgType: "text", Content: c}
	}
	cases := []struct {
		name  string
		appid string
		m     release.Message
		want  release.Action
	}{
		{"text", test.AppID, text("TESTCOMPONENT_MSG_TYPE_TEXT"), release.Action{Handled: true, Reply: "TESTCOMPONENT_MSG_TYPE_TEXT_callback"}},
		{"query auth code", test.AppID, text("QUERY_AUTH_CODE:queryauthcode@@@abc"),
			release.Action{Handled: true, QueryAuthCode: "queryauthcode@@@abc", APIReply: "queryauthcode@@@abc_from_api"}},
		{"event", test.AppID, release.Message{ToUserName: test.UserName, MsgType: "event", Event: "LOCATION"}, release.Action{Handled: true, Reply: "LOCATIONfrom_callback"}},
		{"other text to a test account", test.AppID, text("hello"), release.Action{}},
		{"ordinary account", "wx0000000000000001", release.Message{ToUserName: "gh_000000000001", MsgType: "text", Content: "TESTCOMPONENT_MSG_TYPE_TEXT"}, release.Action{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := release.Decide(tc.appid, tc.m); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestChecklist(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	good := release.Setup{PublicURL: "https://auth.example.com", AuthDomain: "auth.example.com",
		EventURL: "https://auth.example.com/wechat/events", MessageURL: "https://auth.example.com/wechat/messages/$APPID$",
		TicketReceivedAt: now.Add(-5 * time.Minute), Now: now}
	cases := []struct {
		name   string
		change func(*release.Setup)
		item   string
		level  string
	}{
		{"all good", func(*release.Setup) {}, "ticket", release.OK},
		{"domain differs", func(s *release.Setup) { s.AuthDomain = "other.example.com" }, "授权发起页域名", release.Fail},
		{"domain with scheme", func(s *release.Setup) { s.AuthDomain = "https://auth.example.com" }, "授权发起页域名", release.Fail},
		{"message URL without $APPID$", func(s *release.Setup) { s.MessageURL = "https://auth.example.com/wechat/messages" }, "消息与事件接收URL", release.Fail},
		{"no ticket", func(s *release.Setup) { s.TicketReceivedAt = time.Time{} }, "ticket", release.Fail},
		{"old ticket", func(s *release.Setup) { s.TicketReceivedAt = now.Add(-2 * time.Hour) }, "ticket", release.Warn},
		{"expired ticket", func(s *release.Setup) { s.TicketReceivedAt = now.Add(-13 * time.Hour) }, "ticket", release.Fail},
		{"plain http in public", func(s *release.Setup) { s.PublicURL = "http://auth.example.com" }, "public URL", release.Warn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.change(&s)
			var found bool
			for _, c := range release.Checklist(s) {
				if c.Name == tc.item {
					found = true
					if c.Level != tc.level {
						t.Fatalf("%s: %s %q, want %s", c.Name, c.Level, c.Msg, tc.level)
					}
				}
				if tc.name == "all good" && c.Level != release.OK {
					t.Errorf("%s: %s %s", c.Name, c.Level, c.Msg)
				}
			}
			if !found {
				t.Fatalf("no %s item", tc.item)
			}
		})
	}
	if !strings.Contains(release.Checklist(good)[len(release.Checklist(good))-1].Msg, "10 official test accounts") {
		t.Error("test accounts line")
	}
}
