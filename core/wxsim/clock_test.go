package wxsim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

func TestVirtualClock(t *testing.T) {
	base := &manualClock{t: start}
	s, err := wxsim.New(wxsim.DefaultWorld(), wxsim.Options{Clock: base, Speed: 60, Random: seeded(2)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Now().Equal(start) {
		t.Fatalf("virtual time starts at the base clock: %v", s.Now())
	}
	base.add(time.Second) // one real second at ×60
	if got := s.Now().Sub(start); got != time.Minute {
		t.Errorf("after 1 s at ×60: +%v", got)
	}
	s.Advance(2 * time.Hour)
	if got := s.Now().Sub(start); got != 2*time.Hour+time.Minute {
		t.Errorf("after Advance(2h): +%v", got)
	}
	s.Advance(-time.Hour) // ignored: the clock only moves forward
	if got := s.Now().Sub(start); got != 2*time.Hour+time.Minute {
		t.Errorf("a negative Advance moved the clock: +%v", got)
	}
}

// TestSchedulerFollowsVirtualTime checks Run: a push at once, then one per push_interval of
// virtual time, prompt after Advance, none before it is due.
func TestSchedulerFollowsVirtualTime(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sim.Run(ctx) }()

	first := e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	if first.Msg.CreateTime != start.Unix() {
		t.Errorf("first push at %d, want at once (%d)", first.Msg.CreateTime, start.Unix())
	}
	e.sim.Advance(5 * time.Minute) // not due yet
	e.sim.Advance(5 * time.Minute) // due now
	second := e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	if second.Msg.CreateTime != start.Add(10*time.Minute).Unix() {
		t.Errorf("second push at +%ds, want +600s (nothing at +300s)", second.Msg.CreateTime-start.Unix())
	}
	if second.Msg.ComponentVerifyTicket != first.Msg.ComponentVerifyTicket {
		t.Error("the second push repeats the ticket (ticket_repeats 2)")
	}
	e.sim.Advance(10 * time.Minute)
	third := e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	if third.Msg.CreateTime != start.Add(20*time.Minute).Unix() || third.Msg.ComponentVerifyTicket == first.Msg.ComponentVerifyTicket {
		t.Errorf("third push %+v: want +1200s with a rotated ticket", third.Msg)
	}
	if err := e.sim.Run(ctx); !errors.Is(err, wxsim.ErrAlreadyRunning) {
		t.Errorf("second Run: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if st := e.sim.Stats(); st.PushesSent != 3 {
		t.Errorf("pushes sent %d, want 3", st.PushesSent)
	}
}

func TestSchedulerPushesWhenEventURLIsSet(t *testing.T) {
	e := newEnv(t, func(w *wxsim.World) { w.Platforms[0].EventURL = "" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.sim.Run(ctx) }()
	if err := e.sim.SetPlatformURLs(e.p.ComponentAppID, e.rc.srv.URL+"/events", "auth.example.com"); err != nil {
		t.Fatal(err)
	}
	p := e.rc.nextOf(t, wxapi.InfoTypeVerifyTicket)
	if p.Msg.ComponentVerifyTicket != e.ticket() {
		t.Errorf("pushed %q", p.Msg.ComponentVerifyTicket)
	}
	cancel()
	<-done
}

// TestSchedulerRealTime runs the scheduler on the real clock at high speed: a 10-minute
// interval at ×6000 is 100 ms of real time.
func TestSchedulerRealTime(t *testing.T) {
	w := wxsim.DefaultWorld()
	rc := newReceiver(t, w.Platforms[0])
	w.Platforms[0].EventURL = rc.srv.URL
	s, err := wxsim.New(w, wxsim.Options{Speed: 6000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	a := rc.next(t)
	b := rc.next(t)
	// Never early; how late depends on the machine's load (1 ms real is 6 s virtual here).
	if gap := b.Msg.CreateTime - a.Msg.CreateTime; gap < 600 {
		t.Errorf("virtual gap between pushes %ds, want at least the 600 s interval", gap)
	}
	cancel()
	<-done
}
