package cli_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"wxauth/core/release"
	"wxauth/core/wxcrypt"
)

// TestServeWithoutReleaseResponder: `serve --no-release-responder` acknowledges the release
// test's messages like any other (`success`), instead of the answers WeChat's test checks.
func TestServeWithoutReleaseResponder(t *testing.T) {
	e := newSimEnv(t)
	startServe(t, e.db, "--no-release-responder")
	c, err := wxcrypt.New(sandboxToken, sandboxAESKey, sandboxAppID)
	if err != nil {
		t.Fatal(err)
	}
	test := release.TestAccounts()[0]
	msg := release.TextMessageXML(test.UserName, release.DefaultTestOpenID, release.TextMessage, time.Now(), 1)
	push, err := c.SealMessage(strings.NewReader("0123456789abcdef"), test.UserName, msg, strconv.FormatInt(time.Now().Unix(), 10), "42")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.public+"/wechat/messages/"+test.AppID+"?"+push.Query.Encode(), "text/xml", bytes.NewReader(push.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "success" {
		t.Fatalf("release text with the responder off: %d %q, want 200 success", resp.StatusCode, body)
	}
}
