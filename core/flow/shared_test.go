package flow_test

import (
	"context"
	"os"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/internal/mariadbtest"
	"wxauth/storage"
)

// maria is this package's throwaway MariaDB, started by the first test that needs it.
var maria mariadbtest.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	maria.Stop()
	os.Exit(code)
}

// skewedClock is a host clock off by a fixed amount.
type skewedClock time.Duration

func (c skewedClock) Now() time.Time { return time.Now().Add(time.Duration(c)) }

// TestHostsWithSkewedClocksShareOneLease: two engines on one MariaDB, on hosts whose clocks are
// an hour apart, never both lead: the database's clock decides when the lease expires. The lease
// lasts 15 s on a server store.
func TestHostsWithSkewedClocksShareOneLease(t *testing.T) {
	ctx := context.Background()
	url := maria.URL(t, true)
	open := func() *storage.DB {
		db, err := storage.Open(ctx, url, storage.WithInsecurePlaintext())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	dbA, dbB := open(), open()
	if err := dbA.AddPlatform(ctx, storage.Platform{ComponentAppID: "wx3f9a6c21b5d7e08c", AppSecret: "s", Token: "t",
		EncodingAESKey: "Q2hhbmdlTWVJblRoZVdvcmxkRmlsZVNhbmRib3gwMTI", AuthDomain: "127.0.0.1:1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	slow := flow.New(flow.Config{Store: dbA, Clock: skewedClock(-time.Hour), Host: "host-a"})
	fast := flow.New(flow.Config{Store: dbB, Clock: skewedClock(time.Hour), Host: "host-b"})
	defer slow.Close()
	defer fast.Close()
	repA, err := slow.RefreshDue(ctx, "wx3f9a6c21b5d7e08c")
	if err != nil || !repA.Leader {
		t.Fatalf("host A: %+v %v", repA, err)
	}
	for range 3 {
		repB, err := fast.RefreshDue(ctx, "wx3f9a6c21b5d7e08c")
		if err != nil || repB.Leader {
			t.Fatalf("host B, an hour ahead, led while host A holds the lease: %+v %v", repB, err)
		}
	}
	holder, until, err := dbB.LeaseHolder(ctx, "refresh/wx3f9a6c21b5d7e08c")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(until); d < 5*time.Second || d > 20*time.Second {
		t.Fatalf("lease of %s runs %v from now by the database's clock; want the server store's 15 s", holder, d)
	}
}
