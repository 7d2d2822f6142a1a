// Package release is the 全网发布 (full-network release) responder: what a platform must answer
// when WeChat's automated release test writes to the official test accounts, and the names of
// the test's check items. It decides; the engine does the API calls, so it stores nothing.
//
// Reference: shared/reference/wechat-component-api.md §6.
package release

import (
	"fmt"
	"strings"
	"time"

	"wxauth/core/wxcrypt"
)

// The texts of the release test.
const (
	TextMessage       = "TESTCOMPONENT_MSG_TYPE_TEXT"
	TextReplySuffix   = "_callback"
	QueryAuthPrefix   = "QUERY_AUTH_CODE:"
	APIReplySuffix    = "_from_api"
	EventReplySuffix  = "from_callback"
	DefaultTestOpenID = "ozy4qt1eDxSxzCr0aNT0mXCWfrDE" // the sender the simulator plays
)

// Account is one official test account: its appid and original (gh_) id.
type Account struct {
	AppID       string
	UserName    string
	MiniProgram bool
}

// TestAccounts returns the ten official test accounts (five groups; WeChat picks one at random).
func TestAccounts() []Account {
	return []Account{
		{"wx570bc396a51b8ff8", "gh_3c884a361561", false},
		{"wx9252c5e0bb1836fc", "gh_c0f28a78b318", false},
		{"wx8e1097c5bc82cde9", "gh_3f222ed8d140", false},
		{"wx14550af28c71a144", "gh_26128078e9ab", false},
		{"wxa35b9c23cfe664eb", "gh_2b3713f184a6", false},
		{"wxd101a85aa106f53e", "gh_8dad206e9538", true},
		{"wxc39235c15087f6f3", "gh_905ae9d01059", true},
		{"wx7720d01d4b2a4500", "gh_393666f1fdf4", true},
		{"wx05d483572dcd5d8b", "gh_39abb5d4e1b7", true},
		{"wx5910277cae6fd970", "gh_7818dcb60240", true},
	}
}

// IsTestAccount reports whether appid or a gh_ id names an official test account.
func IsTestAccount(id string) bool {
	for _, a := range TestAccounts() {
		if a.AppID == id || a.UserName == id {
			return true
		}
	}
	return false
}

// CheckItems are the release test's check items, in WeChat's order and wording.
func CheckItems() []string {
	return []string{"组件ticket正确接收", "生成预授权码", "获取授权code", "授权",
		"返回Api文本消息", "返回普通文本消息", "发送事件消息", "取消授权"}
}

// Message is the decrypted message pushed to the message URL (the fields the test uses).
type Message struct {
	ToUserName   string
	FromUserName string
	CreateTime   string
	MsgType      string
	Content      string
	Event        string
	MsgID        string
}

// ParseMessage reads a decrypted message.
func ParseMessage(plain []byte) (Message, error) {
	get := func(name string) string { v, _ := wxcrypt.ElementText(plain, name); return v }
	m := Message{ToUserName: get("ToUserName"), FromUserName: get("FromUserName"), CreateTime: get("CreateTime"),
		MsgType: get("MsgType"), Content: get("Content"), Event: get("Event"), MsgID: get("MsgId")}
	if m.MsgType == "" {
		return m, fmt.Errorf("message without MsgType")
	}
	return m, nil
}

// Action is what the responder wants done with a message.
type Action struct {
	Handled bool   // a release-test message: answer as below rather than `success`
	Reply   string // passive text reply; "" with Handled means an empty answer
	// QueryAuthCode, when set, is to be exchanged (api_query_auth) and answered with a
	// customer-service text APIReply to the sender.
	QueryAuthCode string
	APIReply      string
}

// Decide answers a message sent to authorizerAppID. Only the official test accounts get the
// release-test answers; anything else is not handled (acknowledged with `success`).
func Decide(authorizerAppID string, m Message) Action {
	if !IsTestAccount(authorizerAppID) && !IsTestAccount(m.ToUserName) {
		return Action{}
	}
	switch {
	case m.MsgType == "text" && m.Content == TextMessage:
		return Action{Handled: true, Reply: TextMessage + TextReplySuffix}
	case m.MsgType == "text" && strings.HasPrefix(m.Content, QueryAuthPrefix):
		code := strings.TrimPrefix(m.Content, QueryAuthPrefix)
		return Action{Handled: true, QueryAuthCode: code, APIReply: code + APIReplySuffix}
	case m.MsgType == "event" && m.Event != "":
		return Action{Handled: true, Reply: m.Event + EventReplySuffix}
	}
	return Action{}
}

// TextReply is the passive text reply to m (sender and receiver swapped).
func TextReply(m Message, content string, now time.Time) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content></xml>",
		m.FromUserName, m.ToUserName, now.Unix(), content)
}

// TextMessageXML is a text message from user to account, as WeChat pushes it (the simulator's side).
func TextMessageXML(account, user, content string, now time.Time, msgID int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName>\n<FromUserName><![CDATA[%s]]></FromUserName>\n<CreateTime>%d</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[%s]]></Content>\n<MsgId>%d</MsgId>\n</xml>",
		account, user, now.Unix(), content, msgID)
}

// EventMessageXML is an event message from user to account (the simulator's side).
func EventMessageXML(account, user, event string, now time.Time) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[%s]]></ToUserName>\n<FromUserName><![CDATA[%s]]></FromUserName>\n<CreateTime>%d</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[%s]]></Event>\n</xml>",
		account, user, now.Unix(), event)
}
