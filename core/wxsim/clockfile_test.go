package wxsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxsim"
)

// simRun is one run of `wxauth sim`: a simulator on real time, served over HTTP, pushing to
// rc. stop ends it the way the command does.
type simRun struct {
	t    *testing.T
	sim  *wxsim.Sim
	srv  *httptest.Server
	rc   *receiver
	stop func()
}

func startRun(t *testing.T, clockFile string, rc *receiver, w wxsim.World) *simRun {
	t.Helper()
	sim, err := wxsim.New(w, wxsim.Options{ClockFile: clockFile})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	r := &simRun{t: t, sim: sim, srv: srv, rc: rc}
	r.stop = func() {
		srv.Close()
		if err := sim.Close(); err != nil {
			t.Error(err)
		}
	}
	return r
}

// control POSTs to the control API and fails the test on anything but 200.
func (r *simRun) control(path, body string) {
	r.t.Helper()
	resp, err := http.Post(r.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("%s: %d %s", path, resp.StatusCode, data)
	}
	var out struct {
		Delivered *bool `json:"delivered"`
	}
	if json.Unmarshal(data, &out) == nil && out.Delivered != nil && !*out.Delivered {
		r.t.Fatalf("%s: not delivered: %s", path, data)
	}
}

// pushedTicket pushes the ticket through POST /sim/push-ticket and returns the CreateTime the
// receiver saw.
func (r *simRun) pushedTicket() int64 {
	r.t.Helper()
	r.control("/sim/push-ticket", `{}`)
	return r.rc.nextOf(r.t, wxapi.InfoTypeVerifyTicket).Msg.CreateTime
}

// TestClockFileKeepsTicketsNewerAcrossRestart: a run that advanced its clock (as POST
// /sim/clock or --speed do) pushes tickets dated ahead of real time. Without a clock file the
// next run starts from real time again and its tickets are older than the one the receiver
// holds, which wxauth ignores; with one, CreateTime never goes back across restarts.
func TestClockFileKeepsTicketsNewerAcrossRestart(t *testing.T) {
	w := wxsim.DefaultWorld()
	rc := newReceiver(t, w.Platforms[0])
	w.Platforms[0].EventURL = rc.srv.URL + "/wechat/events"
	clockFile := filepath.Join(t.TempDir(), "state", "sim-clock")

	first := startRun(t, clockFile, rc, w)
	before := first.pushedTicket()
	first.control("/sim/clock", `{"advance":"12h"}`)
	advanced := first.pushedTicket()
	if advanced < before+12*3600 {
		t.Fatalf("after advancing 12h the ticket CreateTime went from %d to %d", before, advanced)
	}
	// A push is recorded before it is sent: a run that was killed, not stopped, counts too.
	crashed, err := wxsim.New(w, wxsim.Options{ClockFile: clockFile})
	if err != nil {
		t.Fatal(err)
	}
	if now := crashed.Now().Unix(); now < advanced {
		t.Errorf("after a kill the next run would start at %d, before the pushed %d", now, advanced)
	}
	_ = crashed.Close()
	first.stop()

	// The cause: a run without the file starts from real time, 12 h behind.
	older := startRun(t, "", rc, w)
	got := older.pushedTicket()
	older.stop()
	if got >= advanced {
		t.Fatalf("without a clock file the restart pushed CreateTime %d, expected it behind %d", got, advanced)
	}

	last := advanced
	for run := 2; run <= 3; run++ {
		r := startRun(t, clockFile, rc, w)
		if now := r.sim.Now().Unix(); now < last {
			t.Errorf("run %d: virtual clock starts at %d, before the last CreateTime pushed %d", run, now, last)
		}
		got = r.pushedTicket()
		if got < last {
			t.Errorf("run %d: ticket CreateTime %d is older than the previous run's %d", run, got, last)
		}
		last = got
		r.stop()
	}
}

// TestClockFileStartsFromRealTimeWhenBehind: a mark in the past, or an empty file (a write
// cut short), leaves the clock on real time; a garbled file is an error that names it.
func TestClockFileStartsFromRealTimeWhenBehind(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"1000000000\n", "", "\n"} {
		path := filepath.Join(dir, "clock")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		sim, err := wxsim.New(wxsim.DefaultWorld(), wxsim.Options{ClockFile: path})
		if err != nil {
			t.Fatalf("content %q: %v", content, err)
		}
		if d := time.Since(sim.Now()); d < -time.Minute || d > time.Minute {
			t.Errorf("content %q: virtual time %v is not real time", content, sim.Now())
		}
		_ = sim.Close()
	}
	path := filepath.Join(dir, "garbled")
	if err := os.WriteFile(path, []byte("yesterday"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := wxsim.New(wxsim.DefaultWorld(), wxsim.Options{ClockFile: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("garbled clock file: err = %v", err)
	}
}
