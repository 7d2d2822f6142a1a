package tui

import (
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
)

// TestPublishScreen: P lists the Redis sinks with the URL masked, the stored health (state,
// last error) and the last key another program overwrote with the remedy; esc goes back.
func TestPublishScreen(t *testing.T) {
	sb := priorSandbox(t)
	m := sandboxModel(t, sb, Options{})
	ctx := t.Context()
	s, err := sb.Engine.AddSink(ctx, flow.Sink{URL: "redis://:hunter2pw@127.0.0.1:6390/2", Format: "wxjava", Prefix: "wx:open", Component: true, Authorizers: true})
	if err != nil {
		t.Fatal(err)
	}
	now := sb.Engine.Now()
	if err := sb.Engine.SaveSinkHealth(ctx, s.ID, flow.SinkHealth{At: now, LastWriteAt: now.Add(-time.Minute), Keys: 4,
		LastError: "writing to Redis redis://:****@127.0.0.1:6390/2: connection refused", LastErrorAt: now,
		ForeignKey: "wx:open:wechat_component_access_token:x", ForeignAt: now}); err != nil {
		t.Fatal(err)
	}
	drive(t, m, press(m, "P"))
	if m.screen != screenPublish {
		t.Fatalf("after P: screen %v", m.screen)
	}
	v := view(m)
	mustContain(t, v, "Redis sinks", "#1", "failing", "wxjava", "redis://:****@127.0.0.1:6390/2", "connection refused",
		"another program wrote wx:open:wechat_component_access_token:x", "stop that program's own refresher")
	if strings.Contains(v, "hunter2pw") {
		t.Fatalf("the Redis password is on screen:\n%s", v)
	}
	press(m, "esc")
	if m.screen != screenDashboard {
		t.Fatalf("esc left the screen at %v", m.screen)
	}
}
