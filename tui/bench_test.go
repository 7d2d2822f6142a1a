package tui

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"wxauth/core/flow"
	"wxauth/storage"
)

// BenchmarkDashboardView10k renders one frame of the dashboard (pipeline, table, events,
// footer) with 10,000 authorizers. Target: ≤ 2 ms per frame.
func BenchmarkDashboardView10k(b *testing.B) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			m := newBenchModel(b, size[0], size[1], manyAuthorizers(10000))
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkDashboardTick10k is a whole second of the console with 10,000 authorizers: the
// countdown tick through Update, then the frame.
func BenchmarkDashboardTick10k(b *testing.B) {
	now := t0
	m := newBenchModel(b, 120, 40, manyAuthorizers(10000))
	m.opts.Now = func() time.Time { return now }
	m.opts.TickEvery = -1
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		m.Update(tickMsg(now))
		_ = m.View()
	}
}

// BenchmarkSnapshotApply10k is the cost of taking a fresh snapshot of 10,000 authorizers into
// the model (index, sort, filter), paid on each reload, not on each frame.
func BenchmarkSnapshotApply10k(b *testing.B) {
	m := newBenchModel(b, 120, 40, manyAuthorizers(10000))
	snap := fixtureSnapshot(manyAuthorizers(10000))
	b.ReportAllocs()
	for b.Loop() {
		m.Update(snapshotMsg{componentAppID: testAppID, snap: snap, events: fixtureEvents()})
	}
}

func newBenchModel(b *testing.B, w, h int, authorizers []flow.Authorizer) *Model {
	dark := true
	m := New(context.Background(), nil, Options{Now: func() time.Time { return t0 }, TickEvery: -1, Dark: &dark})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(platformsMsg{list: []flow.Platform{testPlatform}})
	m.Update(snapshotMsg{componentAppID: testAppID, snap: fixtureSnapshot(authorizers), events: fixtureEvents()})
	if m.table.Total() != len(authorizers) {
		b.Fatalf("loaded %d rows", m.table.Total())
	}
	return m
}

// frameWatcher is the program's output; it signals the first frame that shows the dashboard
// with its data (the table title appears only once the snapshot is in).
type frameWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen chan struct{}
	once sync.Once
	want []byte
}

func (f *frameWatcher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	if bytes.Contains(f.buf.Bytes(), f.want) {
		f.once.Do(func() { close(f.seen) })
	}
	return len(p), nil
}

// BenchmarkStartToFirstFrame measures a real program from creation to the first frame showing
// the platform's data: reading the platforms, the snapshot and the events from SQLite, then
// rendering. Target: ≤ 200 ms.
func BenchmarkStartToFirstFrame(b *testing.B) {
	for _, n := range []int{1, 10000} {
		b.Run(fmt.Sprintf("%d_authorizers", n), func(b *testing.B) {
			eng := benchEngine(b, n)
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				out := &frameWatcher{seen: make(chan struct{}), want: []byte("Authorizers")}
				m := New(ctx, eng, Options{TickEvery: -1})
				p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(out),
					tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithColorProfile(colorprofile.Ascii),
					tea.WithEnvironment([]string{"TERM=xterm-256color"}))
				done := make(chan struct{})
				go func() { _, _ = p.Run(); close(done) }()
				select {
				case <-out.seen:
				case <-time.After(10 * time.Second):
					b.Fatal("no first frame")
				}
				b.StopTimer()
				p.Quit()
				<-done
				cancel()
				b.StartTimer()
			}
		})
	}
}

// benchEngine is an engine on a temporary database holding the fixture platform and n
// authorizers.
func benchEngine(b *testing.B, n int) *flow.Engine {
	b.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, b.TempDir()+"/wxauth.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	eng := flow.New(flow.Config{Store: db, Clock: &fixedClock{t: t0}})
	if _, err := eng.AddPlatform(ctx, testPlatform); err != nil {
		b.Fatal(err)
	}
	for _, a := range manyAuthorizers(n) {
		if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: testAppID, AppID: a.AppID, AccessToken: a.AccessToken,
			ExpiresAt: a.AccessExpiresAt, RefreshToken: a.RefreshToken, FuncInfo: []int{17, 18}, At: t0, Source: "paste"}); err != nil {
			b.Fatal(err)
		}
	}
	return eng
}
