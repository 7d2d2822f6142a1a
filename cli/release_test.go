package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type releaseOut struct {
	Passed bool `json:"passed"`
	Checks []struct {
		Name, Level, Message string
	} `json:"checks"`
	ReleaseTest *struct {
		Passed bool `json:"passed"`
		Items  []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
			Why  string `json:"why"`
		} `json:"items"`
	} `json:"release_test"`
}

// The simulator's 全网发布 test passes end to end against `wxauth serve`, through
// `wxauth release check`.
func TestReleaseCheckAgainstServe(t *testing.T) {
	e := newSimEnv(t)
	if out := wxOK(t, e.db, "platform", "show").out; !strings.Contains(out, e.public+"/wechat/messages/$APPID$") {
		t.Errorf("platform show lacks the message URL:\n%s", out)
	}
	// Without a ticket and without a listener: the checklist's ticket line and the test fail.
	r := wx(t, e.db, "", "release", "check")
	if r.code != 1 || !strings.Contains(r.out, "fail  ticket") || !strings.Contains(r.out, "FAIL  [组件ticket正确接收] push failed") ||
		!strings.Contains(r.out, "FAIL  [取消授权] not run") {
		t.Fatalf("release check before serve: exit %d\n%s\n%s", r.code, r.out, r.err)
	}

	startServe(t, e.db)
	if err := e.sim.PushTicket(context.Background(), sandboxAppID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the ticket", func() bool { return wx(t, e.db, "", "ticket", "show").code == 0 })
	r = wx(t, e.db, "", "release", "check")
	if r.code != 0 {
		t.Fatalf("release check against serve: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"ok    消息与事件接收URL: " + e.public + "/wechat/messages/$APPID$", "pass  [组件ticket正确接收]",
		"pass  [返回Api文本消息]", "pass  [返回普通文本消息]", "pass  [发送事件消息]", "pass  [取消授权]"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("release check output lacks %q:\n%s", want, r.out)
		}
	}

	var out releaseOut
	r = wx(t, e.db, "", "--json", "release", "check")
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || r.code != 0 {
		t.Fatalf("--json: exit %d %v\n%s", r.code, err, r.out)
	}
	if !out.Passed || out.ReleaseTest == nil || !out.ReleaseTest.Passed || len(out.ReleaseTest.Items) != 8 {
		t.Fatalf("--json report: %+v", out)
	}
	// The test account's grant was stored like any other, then revoked by [取消授权].
	waitFor(t, 10*time.Second, "the test account revoked", func() bool {
		return authorizerStatus(t, e.db)["wx570bc396a51b8ff8"] == "revoked"
	})
}
