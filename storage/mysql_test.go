package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// TestMySQLURLs: what selects MySQL, what is refused, and that no form ever shows the password.
func TestMySQLURLs(t *testing.T) {
	for _, tc := range []struct{ target, err string }{
		{"mysql://u:sekrit@db.internal/wx?tls=maybe", "tls=maybe is not one of"},
		{"mysql://u:sekrit@db.internal/", "database name are required"},
		{"mysql://:sekrit@db.internal/wx", "user, host and database name are required"},
		{"mysql://u:sekrit@db.internal/wx?parseTime=true", `unknown parameter "parseTime"`},
	} {
		_, err := storage.Open(context.Background(), tc.target, storage.WithKey(testKey))
		if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%s: err = %v, want %q without the password", tc.target, err, tc.err)
		}
	}
	if got := storage.RedactURL("mysql://u:sekrit@h:3306/wx?tls=true"); got != "mysql://u@h:3306/wx?tls=true" {
		t.Errorf("redacted = %q", got)
	}
	if !storage.URLHasPassword("mysql://u:p@h/wx") || storage.URLHasPassword("mysql://u@h/wx") {
		t.Error("URLHasPassword wrong")
	}
	if !storage.IsServerURL("mysql://u@h/wx") || storage.IsServerURL("/tmp/x.db") || storage.IsServerURL("sqlite:///tmp/x.db") {
		t.Error("IsServerURL wrong")
	}
}

// TestMySQLConnectErrorHidesPassword: a refused connection names the server, not the password.
func TestMySQLConnectErrorHidesPassword(t *testing.T) {
	srv := maria.Server(t)
	url := strings.Replace(srv.URL("nosuchdb", false), "wxauth@", "wxauth:wrong-sekrit@", 1)
	_, err := storage.Open(context.Background(), url, storage.WithKey(testKey))
	if err == nil || strings.Contains(err.Error(), "wrong-sekrit") || !strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("err = %v", err)
	}
}

// TestMySQLPasswordFromEnvironment: a URL without a password takes WXAUTH_DB_PASSWORD.
func TestMySQLPasswordFromEnvironment(t *testing.T) {
	url := maria.URL(t, false)
	t.Setenv(storage.PasswordEnv, "")
	if _, err := storage.Open(context.Background(), url, storage.WithKey(testKey)); err == nil {
		t.Fatal("opened without a password")
	}
	t.Setenv(storage.PasswordEnv, "wxauth-test-pw")
	db := openTarget(t, url)
	if db.Path() != "" || db.Location() != url || !db.Shared() || db.Dialect() != "mysql" {
		t.Fatalf("path %q location %q shared %v", db.Path(), db.Location(), db.Shared())
	}
}

// TestMySQLRefusesAnotherProgramsDatabase: a database with tables that are not wxauth's is
// left untouched.
func TestMySQLRefusesAnotherProgramsDatabase(t *testing.T) {
	srv := maria.Server(t)
	url := srv.NewDatabase(t, true)
	name := url[strings.LastIndex(url, "/")+1:]
	if err := srv.Exec("CREATE TABLE " + name + ".orders (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	_, err := storage.Open(context.Background(), url, storage.WithKey(testKey))
	if !errors.Is(err, storage.ErrNotDatabase) {
		t.Fatalf("err = %v", err)
	}
}

// TestLeaseByTheDatabaseClock: two hosts whose clocks disagree by an hour agree on the lease,
// because the database's clock decides: the fast host neither steals an unexpired lease nor
// hands out one that outlives its TTL.
func TestLeaseByTheDatabaseClock(t *testing.T) {
	url := maria.URL(t, true)
	ctx := context.Background()
	slow, fast := openTarget(t, url), openTarget(t, url)
	if ok, err := slow.AcquireLease(ctx, "refresh/wxc", "slow", time.Now().Add(-time.Hour), time.Minute); !ok || err != nil {
		t.Fatalf("slow host: %v %v", ok, err)
	}
	if ok, err := fast.AcquireLease(ctx, "refresh/wxc", "fast", time.Now().Add(time.Hour), time.Minute); ok || err != nil {
		t.Fatalf("a host an hour ahead took an unexpired lease: %v %v", ok, err)
	}
	_, until, _ := fast.LeaseHolder(ctx, "refresh/wxc")
	if d := time.Until(until); d < 30*time.Second || d > 90*time.Second {
		t.Fatalf("lease runs %v from now, want about a minute by the database's clock", d)
	}
}

// TestGrantSurvivesServerCrash: a committed grant (what WeChat hands out once) is there after
// mariadbd is killed with SIGKILL and restarted.
func TestGrantSurvivesServerCrash(t *testing.T) {
	srv := maria.Server(t)
	url := srv.NewDatabase(t, true)
	ctx := context.Background()
	db, err := storage.Open(ctx, url, storage.WithKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", AccessToken: "at", RefreshToken: "rt-once", At: t0, Source: "redirect"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := srv.Crash(); err != nil {
		t.Fatal(err)
	}
	db = openTarget(t, url)
	if hist, err := db.RefreshTokenHistory(ctx, "wxc", "wxa"); err != nil || len(hist) != 1 || hist[0] != "rt-once" {
		t.Fatalf("history after a crash = %v %v", hist, err)
	}
}

// TestServerUnreachable: while mariadbd is down every call fails as ErrUnreachable (since when,
// without the password); once it is back the same handle works again.
func TestServerUnreachable(t *testing.T) {
	srv := maria.Server(t)
	url := srv.NewDatabase(t, true)
	ctx := context.Background()
	db := openTarget(t, url)
	if _, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", RefreshToken: "rt1", At: t0, Source: "redirect"}); err != nil {
		t.Fatal(err)
	}
	srv.Halt()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			srv.Restart()
		}
	})
	_, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxb", RefreshToken: "rt2", At: t0, Source: "redirect"})
	if !errors.Is(err, storage.ErrUnreachable) || strings.Contains(err.Error(), "wxauth-test-pw") {
		t.Fatalf("write while down: %v", err)
	}
	if _, err := db.Authorizer(ctx, "wxc", "wxa"); !errors.Is(err, storage.ErrUnreachable) {
		t.Fatalf("read while down: %v", err)
	}
	since := db.UnreachableSince()
	if since.IsZero() {
		t.Fatal("UnreachableSince is zero while down")
	}
	restarted = true
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the store to answer again", func() bool {
		_, err := db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxb", RefreshToken: "rt2", At: t0, Source: "redirect"})
		return err == nil
	})
	if !db.UnreachableSince().IsZero() {
		t.Fatal("still unreachable after a success")
	}
	if h, _ := db.RefreshTokenHistory(ctx, "wxc", "wxb"); len(h) != 1 {
		t.Fatalf("history = %v", h)
	}
}

// TestMySQLLeastGrants: the grants the README asks a DBA for are enough: migrations, every kind
// of write, the lease, CHECK TABLE.
func TestMySQLLeastGrants(t *testing.T) {
	srv := maria.Server(t)
	admin := srv.NewDatabase(t, true)
	name := admin[strings.LastIndex(admin, "/")+1:]
	user := "least_" + name
	for _, stmt := range []string{
		"CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY 'least-pw'",
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON " + name + ".* TO '" + user + "'@'127.0.0.1'",
	} {
		if err := srv.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = srv.Exec("DROP USER '" + user + "'@'127.0.0.1'") })
	db := openTarget(t, "mysql://"+user+":least-pw@"+srv.Addr+"/"+name)
	ctx := context.Background()
	fill(t, db)
	check(t, db)
	if ok, err := db.AcquireLease(ctx, "refresh/wxc", "h:1:x", time.Now(), time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if v, err := db.IntegrityCheck(ctx); v != "ok" || err != nil {
		t.Fatalf("CHECK TABLE: %q %v", v, err)
	}
}
