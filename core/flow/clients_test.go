package flow_test

import (
	"strings"
	"testing"

	"wxauth/core/flow"
)

// TestClientDirectory: keys authenticate their client only; reads are counted in memory and
// written by Flush; a rotated key stops authenticating once the directory re-reads.
func TestClientDirectory(t *testing.T) {
	sb, ctx := start(t)
	c, key, err := sb.Engine.AddClient(ctx, flow.ClientSpec{Name: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ComponentAppID != sb.Platform.ComponentAppID || !c.MayRead(c.ComponentAppID, "wx8d5e2f7a1c3b9046") || c.MayRead(c.ComponentAppID, "") {
		t.Fatalf("default scope: %+v", c)
	}
	_, other, err := sb.Engine.AddClient(ctx, flow.ClientSpec{Name: "other", Component: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := sb.Engine.NewClientDirectory(0)
	if err := dir.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, want string
	}{{key, "svc"}, {other, "other"}, {"", ""}, {key[:len(key)-1], ""}, {strings.TrimPrefix(key, flow.ClientKeyPrefix), ""}, {key + "x", ""}} {
		got, ok := dir.Authenticate(tc.key)
		if got.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("Authenticate(%.8s…) = %q, %v; want %q", tc.key, got.Name, ok, tc.want)
		}
	}
	for range 3 {
		dir.NoteRead("svc")
	}
	if list, _ := sb.Engine.Clients(ctx); list[1].ReadsToday != 0 {
		t.Fatal("a read was written before the flush")
	}
	if err := dir.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := sb.Engine.Clients(ctx)
	if err != nil || list[1].Name != "svc" || list[1].ReadsToday != 3 || list[1].LastUsedAt.IsZero() {
		t.Fatalf("after the flush: %+v %v", list, err)
	}
	if _, _, err := sb.Engine.RotateClient(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	if err := dir.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.Authenticate(key); ok {
		t.Fatal("the rotated key still authenticates")
	}
}
