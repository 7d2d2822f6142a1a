package flow

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"wxauth/storage"
)

// TestLeaseOfADeadProcessIsTakenOver: a lease left by a process of this host that no longer
// runs is taken once the grace for its in-flight requests has passed; one held by a live
// process, another host or a custom holder is respected until it expires.
func TestLeaseOfADeadProcessIsTakenOver(t *testing.T) {
	ctx := context.Background()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skipf("cannot run a short-lived process: %v", err)
	}
	deadPID := gone.ProcessState.Pid()
	if processAlive(deadPID) {
		t.Skipf("pid %d was reused at once", deadPID)
	}
	host := localHost()
	tests := []struct {
		name   string
		holder string
		taken  bool
	}{
		{"dead process of this host", host + ":" + strconv.Itoa(deadPID) + ":0a1b", true},
		{"live process of this host", host + ":" + strconv.Itoa(os.Getppid()) + ":0a1b", false},
		{"this very process, another engine", host + ":" + strconv.Itoa(os.Getpid()) + ":0a1b", false},
		{"another host", "elsewhere/4026531836:" + strconv.Itoa(deadPID) + ":0a1b", false},
		{"a custom holder", "console-test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "wxauth.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			now := time.Now()
			if ok, err := db.AcquireLease(ctx, leaseName("wx3f9a6c21b5d7e08c"), tt.holder, now, time.Minute); err != nil || !ok {
				t.Fatalf("setting up the lease: %v %v", ok, err)
			}
			e := New(Config{Store: db})
			e.deadGrace = 50 * time.Millisecond
			got, err := e.acquireLease(ctx, "wx3f9a6c21b5d7e08c")
			if err != nil || got {
				t.Fatalf("first attempt: taken %v, %v; a dead holder's requests get their grace", got, err)
			}
			time.Sleep(e.deadGrace)
			got, err = e.acquireLease(ctx, "wx3f9a6c21b5d7e08c")
			if err != nil {
				t.Fatal(err)
			}
			holder, _, _ := db.LeaseHolder(ctx, leaseName("wx3f9a6c21b5d7e08c"))
			if got != tt.taken || (got && holder != e.holder) || (!got && holder != tt.holder) {
				t.Errorf("taken %v (holder now %q), want %v", got, holder, tt.taken)
			}
		})
	}
}
