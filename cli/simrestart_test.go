package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/core/wxsim"
)

// TestSimRestartKeepsTicketsFlowing: a wxauth that used one run of `wxauth sim` (whose clock was
// moved 12 h ahead) keeps accepting the tickets of the next run: the simulator's clock never
// goes back across runs (its clock file, by default in the data directory).
func TestSimRestartKeepsTicketsFlowing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes; skipped in -short mode")
	}
	bin := buildWXAuth(t)
	addr, simAddr := freeAddr(t), freeAddr(t)
	world := compressedWorld(1, addr, func(*wxsim.Settings) {})
	file := filepath.Join(t.TempDir(), "world.json")
	data, _ := json.Marshal(world)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	runSim := func() *simProc {
		p := startProc(t, "sim", bin, nil, "sim", "--world", file, "--addr", simAddr)
		p.waitOut(t, 10*time.Second, "sim: listening on")
		return &simProc{proc: p, url: "http://" + simAddr}
	}
	db := tempDB(t)
	sim := runSim()
	addSandboxPlatform(t, db, addr, sim.url)
	serve := startProc(t, "serve", bin, nil, "--db", db, "serve", "--interval", "300ms")
	serve.waitOut(t, 10*time.Second, "serve: listening on")

	current := func() string {
		var tk map[string]any
		if r := wx(t, db, "", "ticket", "show", "--json"); r.code == 0 {
			_ = json.Unmarshal([]byte(r.out), &tk)
		}
		s, _ := tk["ticket"].(string)
		return s
	}
	sim.control(t, http.MethodPost, "/sim/clock", map[string]string{"advance": "12h"}, nil)
	var pushed struct {
		Ticket string `json:"component_verify_ticket"`
	}
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{"rotate": true}, &pushed)
	waitFor(t, 10*time.Second, "the first run's ticket", func() bool { return current() == pushed.Ticket })
	if code := sim.signal(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("sim exited %d", code)
	}

	sim = runSim()
	sim.control(t, http.MethodPost, "/sim/push-ticket", map[string]any{"rotate": true}, &pushed)
	waitFor(t, 10*time.Second, "the second run's ticket to become current", func() bool { return current() == pushed.Ticket })
	if r := wx(t, db, "", "token"); r.code != 0 || strings.TrimSpace(r.out) == "" {
		t.Fatalf("token against the second run: exit %d\n%s", r.code, r.err)
	}
}
