package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// Secrets that must never be readable in the file; each long and unlike anything else in it.
var secrets = map[string]string{
	"appsecret":     "APPSECRET-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e",
	"token":         "MSGTOKEN-8b6d4f2a0c9e7b5d3f1a",
	"aeskey":        "AESKEY-a1b2c3d4e5f60718293a4b5c6d7e8f9012345678901",
	"ticket":        "ticket@@@TICKET-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b",
	"component":     "COMPONENTTOKEN-1f2e3d4c5b6a79880716253443526170",
	"access1":       "ACCESS1-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
	"access2":       "ACCESS2-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
	"refresh1":      "refreshtoken@@@REFRESH1-6c5b4a3928170f6e5d4c3b2a",
	"refresh2":      "refreshtoken@@@REFRESH2-d4c3b2a1908f7e6d5c4b3a29",
	"recovered":     "refreshtoken@@@RECOVERED-1a2b3c4d5e6f7a8b9c0d",
	"authcode":      "queryauthcode@@@AUTHCODE-7e6d5c4b3a2918f7e6d5",
	"otherplatform": "APPSECRET2-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	"redisurl":      "redis://:REDISPASS-5d6c7b8a9f0e1d2c@127.0.0.1:6379/0",
}

func mustKey(t testing.TB) storage.Key {
	t.Helper()
	k, err := storage.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openPath(t testing.TB, path string, opts ...storage.Option) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

// fill writes every kind of secret the store keeps, through its methods.
func fill(t testing.TB, db *storage.DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.AddPlatform(ctx, storage.Platform{ComponentAppID: "wxc", AppSecret: "x", Token: secrets["token"],
		EncodingAESKey: secrets["aeskey"], AuthDomain: "d", CreatedAt: t0}))
	p, err := db.Platform(ctx, "wxc")
	must(err)
	p.AppSecret = secrets["appsecret"]
	must(db.UpdatePlatform(ctx, p))
	must(db.AddPlatform(ctx, storage.Platform{ComponentAppID: "wxd", AppSecret: secrets["otherplatform"], Token: "t2",
		EncodingAESKey: "k2", AuthDomain: "d", CreatedAt: t0.Add(time.Second)}))
	_, _, err = db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wxc", Ticket: secrets["ticket"], CreateTime: t0, ReceivedAt: t0, Source: "push"})
	must(err)
	_, err = db.SwapComponentToken(ctx, 0, storage.ComponentToken{ComponentAppID: "wxc", Token: secrets["component"], ObtainedAt: t0, ExpiresAt: t0.Add(2 * time.Hour)})
	must(err)
	_, err = db.SaveGrant(ctx, storage.Grant{ComponentAppID: "wxc", AppID: "wxa", AccessToken: secrets["access1"],
		ExpiresAt: t0.Add(2 * time.Hour), RefreshToken: secrets["refresh1"], At: t0, Source: "redirect"})
	must(err)
	a, err := db.Authorizer(ctx, "wxc", "wxa")
	must(err)
	err = db.SwapAuthorizerToken(ctx, "wxc", "wxa", a.AccessVersion, secrets["access2"], t0, t0.Add(2*time.Hour), secrets["refresh2"])
	must(err)
	// The same refresh token again: the history keeps one of each.
	a, err = db.Authorizer(ctx, "wxc", "wxa")
	must(err)
	err = db.SwapAuthorizerToken(ctx, "wxc", "wxa", a.AccessVersion, secrets["access2"], t0, t0.Add(2*time.Hour), secrets["refresh2"])
	must(err)
	must(db.RecoverRefreshToken(ctx, "wxc", "wxa", secrets["recovered"], t0.Add(time.Minute)))
	must(db.RecoverRefreshToken(ctx, "wxc", "wxa", secrets["recovered"], t0.Add(2*time.Minute)))
	must(db.CreateSession(ctx, storage.Session{ID: "s1", ComponentAppID: "wxc", PreAuthCode: "preauthcode@@@P", PreAuthExpiresAt: t0.Add(time.Hour), CreatedAt: t0}))
	_, err = db.ClaimSession(ctx, "s1", secrets["authcode"], "redirect", "me")
	must(err)
	_, err = db.AddSink(ctx, storage.Sink{URL: secrets["redisurl"], Format: "silenceper", Component: true, Authorizers: true, CreatedAt: t0})
	must(err)
}

// check reads every secret back through the store's methods.
func check(t testing.TB, db *storage.DB) {
	t.Helper()
	ctx := context.Background()
	p, err := db.Platform(ctx, "wxc")
	if err != nil {
		t.Fatal(err)
	}
	if p.AppSecret != secrets["appsecret"] || p.Token != secrets["token"] || p.EncodingAESKey != secrets["aeskey"] {
		t.Errorf("platform read back %q %q %q", p.AppSecret, p.Token, p.EncodingAESKey)
	}
	ps, err := db.Platforms(ctx)
	if err != nil || len(ps) != 2 || ps[1].AppSecret != secrets["otherplatform"] {
		t.Errorf("platforms: %v %v", len(ps), err)
	}
	if tk, err := db.CurrentTicket(ctx, "wxc"); err != nil || tk.Ticket != secrets["ticket"] {
		t.Errorf("ticket %q %v", tk.Ticket, err)
	}
	if ct, err := db.ComponentToken(ctx, "wxc"); err != nil || ct.Token != secrets["component"] {
		t.Errorf("component token %q %v", ct.Token, err)
	}
	a, err := db.Authorizer(ctx, "wxc", "wxa")
	if err != nil || a.AccessToken != secrets["access2"] || a.RefreshToken != secrets["recovered"] {
		t.Errorf("authorizer %q %q %v", a.AccessToken, a.RefreshToken, err)
	}
	as, err := db.Authorizers(ctx, "wxc")
	if err != nil || len(as) != 1 || as[0].AccessToken != secrets["access2"] {
		t.Errorf("authorizers %v %v", as, err)
	}
	if sinks, err := db.Sinks(ctx); err != nil || len(sinks) != 1 || sinks[0].URL != secrets["redisurl"] {
		t.Errorf("sinks %v %v", sinks, err)
	}
	hist, err := db.RefreshTokenHistory(ctx, "wxc", "wxa")
	want := []string{secrets["refresh1"], secrets["refresh2"], secrets["recovered"]}
	if err != nil || strings.Join(hist, ",") != strings.Join(want, ",") {
		t.Errorf("refresh token history %q %v, want %q", hist, err, want)
	}
	recs, err := db.RefreshTokens(ctx, "wxc")
	if err != nil || len(recs) != 3 || recs[2].Token != secrets["recovered"] || recs[2].Source != "api_get_authorizer_list" {
		t.Errorf("refresh tokens %v %v", recs, err)
	}
	s, err := db.Session(ctx, "s1")
	if err != nil || s.AuthCode != secrets["authcode"] {
		t.Errorf("session code %q %v", s.AuthCode, err)
	}
	if ex, err := db.Exchanges(ctx, "wxc"); err != nil || len(ex) != 1 || ex[0].AuthCode != secrets["authcode"] {
		t.Errorf("exchanges %v %v", ex, err)
	}
	if s, err := db.SessionByPreAuthCode(ctx, "wxc", "preauthcode@@@P"); err != nil || s.AuthCode != secrets["authcode"] {
		t.Errorf("session by pre_auth_code %q %v", s.AuthCode, err)
	}
}

// fileBytes is the database file with its WAL, as a thief of the disk would read them.
func fileBytes(t testing.TB, path string) []byte {
	t.Helper()
	var out []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// dumpAll is every value of every table, as `SELECT *` (or sqlite3 .dump) shows them.
func dumpAll(t testing.TB, path string) string {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	tables, err := raw.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type='table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var b strings.Builder
	for _, n := range names {
		rows, err := raw.QueryContext(ctx, `SELECT * FROM `+n)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case string:
					b.WriteString(v)
				case []byte:
					b.Write(v)
				}
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

func assertNoSecrets(t testing.TB, what string, data []byte) {
	t.Helper()
	for name, s := range secrets {
		// The distinctive tail of each secret: no part of it may be readable.
		if tail := s[len(s)-16:]; bytes.Contains(data, []byte(tail)) {
			t.Errorf("%s: the %s (%s…) is readable", what, name, tail)
		}
	}
}

// TestSealedRoundTrip: with a key, every secret column reads back what was written, while
// neither the file's bytes nor any column's value shows any of them.
func TestSealedRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	key := mustKey(t)
	db := openPath(t, path, storage.WithKey(key))
	fill(t, db)
	check(t, db)
	dump := dumpAll(t, path)
	assertNoSecrets(t, "SELECT * of every table", []byte(dump))
	if !strings.Contains(dump, "wxs1:"+key.ID()+":") {
		t.Fatalf("no sealed value in the dump:\n%s", dump)
	}
	db.Close()
	assertNoSecrets(t, "the database file", fileBytes(t, path))

	db = openPath(t, path, storage.WithKey(key))
	defer db.Close()
	check(t, db)
	st, err := db.SealStatus(context.Background())
	if err != nil || !st.Sealed || st.KeyID != key.ID() {
		t.Fatalf("status %+v %v", st, err)
	}
	counts := map[string]int{}
	for _, c := range st.Columns {
		if c.Plain != 0 || c.OtherKey != 0 {
			t.Errorf("%s.%s: %d plaintext, %d under another key", c.Table, c.Column, c.Plain, c.OtherKey)
		}
		counts[c.Table+"."+c.Column] = c.Sealed
	}
	if counts["refresh_tokens.refresh_token"] != 3 || counts["platforms.appsecret"] != 2 || counts["auth_sessions.auth_code"] != 1 {
		t.Errorf("sealed counts %v", counts)
	}
}

// TestPlaintextWithoutKey: without a key nothing changes: the values are stored as they are.
func TestPlaintextWithoutKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	db := openPath(t, path)
	defer db.Close()
	fill(t, db)
	check(t, db)
	if !strings.Contains(dumpAll(t, path), secrets["appsecret"]) {
		t.Fatal("a database opened without a key is plaintext")
	}
}

// TestPlaintextSealedWhenOpenedWithKey: a plaintext database opened with a key is sealed,
// every secret, and reads the same.
func TestPlaintextSealedWhenOpenedWithKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	db := openPath(t, path)
	fill(t, db)
	db.Close()
	key := mustKey(t)
	db = openPath(t, path, storage.WithKey(key))
	check(t, db)
	assertNoSecrets(t, "after sealing", []byte(dumpAll(t, path)))
	// The plaintext the sealing replaced is not left in the file's free pages either.
	db.Close()
	assertNoSecrets(t, "the file after sealing", fileBytes(t, path))
}

// TestKeyMissingOrWrong: a sealed database opened without its key, or with another, is an
// error naming the remedy, and the file is left byte for byte as it was.
func TestKeyMissingOrWrong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	key := mustKey(t)
	db := openPath(t, path, storage.WithKey(key))
	fill(t, db)
	db.Close()
	before := fileBytes(t, path)
	fi, _ := os.Stat(path)
	for _, c := range []struct {
		name string
		opts []storage.Option
		kind error
		says string
	}{
		{"no key", nil, storage.ErrKeyRequired, "WXAUTH_KEY"},
		{"wrong key", []storage.Option{storage.WithKey(mustKey(t))}, storage.ErrWrongKey, "sealed under key " + key.ID()},
	} {
		_, err := storage.Open(ctx, path, c.opts...)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "--key-file") {
			t.Errorf("%s: %v", c.name, err)
		}
		if !bytes.Equal(fileBytes(t, path), before) {
			t.Errorf("%s: the file changed", c.name)
		}
		if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) {
			t.Errorf("%s: the file's mtime changed", c.name)
		}
	}
	db = openPath(t, path, storage.WithKey(key))
	defer db.Close()
	check(t, db)
}

// TestRotateKey: every secret moves to the new key in one go; the old key is refused after.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	oldKey, newKey := mustKey(t), mustKey(t)
	db := openPath(t, path, storage.WithKey(oldKey))
	fill(t, db)
	n, err := db.RotateKey(ctx, newKey)
	if err != nil {
		t.Fatal(err)
	}
	// 2 platforms × 3, a ticket, a component token, an authorizer × 2, 3 history, a code, a sink.
	if n != 15 {
		t.Errorf("re-sealed %d values, want 15", n)
	}
	check(t, db) // this handle now uses the new key
	db.Close()
	if _, err := storage.Open(ctx, path, storage.WithKey(oldKey)); !errors.Is(err, storage.ErrWrongKey) {
		t.Fatalf("old key after rotation: %v", err)
	}
	db = openPath(t, path, storage.WithKey(newKey))
	defer db.Close()
	check(t, db)
	if strings.Contains(dumpAll(t, path), "wxs1:"+oldKey.ID()) {
		t.Error("a value is still sealed under the old key")
	}
}

// TestRotateFailureKeepsOldKey: a value that does not open (damaged) stops the rotation, and
// the database is as it was, under the old key.
func TestRotateFailureKeepsOldKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	oldKey := mustKey(t)
	db := openPath(t, path, storage.WithKey(oldKey))
	fill(t, db)
	// A sealed value under the right key id whose bytes were altered.
	rawExec(t, path, `UPDATE tickets SET ticket = substr(ticket, 1, length(ticket)-4) || 'AAAA'`)
	before := dumpAll(t, path)
	if _, err := db.RotateKey(ctx, mustKey(t)); err == nil || !strings.Contains(err.Error(), "tickets.ticket") {
		t.Fatalf("rotation over a damaged value: %v", err)
	}
	if dumpAll(t, path) != before {
		t.Error("a failed rotation changed the database")
	}
	db.Close()
	db = openPath(t, path, storage.WithKey(oldKey))
	defer db.Close()
	if p, err := db.Platform(ctx, "wxc"); err != nil || p.AppSecret != secrets["appsecret"] {
		t.Fatalf("after a failed rotation: %q %v", p.AppSecret, err)
	}
}

func rawExec(t testing.TB, path, stmt string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// TestSealedValueBoundToColumn: a sealed value copied into another column does not open.
func TestSealedValueBoundToColumn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	db := openPath(t, path, storage.WithKey(mustKey(t)))
	defer db.Close()
	fill(t, db)
	rawExec(t, path, `UPDATE platforms SET appsecret = (SELECT access_token FROM authorizers) WHERE component_appid='wxc'`)
	_, err := db.Platform(context.Background(), "wxc")
	if err == nil || !strings.Contains(err.Error(), "platforms.appsecret") || strings.Contains(err.Error(), secrets["access2"]) {
		t.Fatalf("a moved value: %v", err)
	}
}

// TestOldKeyWritersRefused: a process that still has the old key after a rotation (or no key
// after the database was sealed) can neither read a secret nor write one: the database's
// triggers refuse a value not sealed under its key, so no secret ends up unreadable.
func TestOldKeyWritersRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wxauth.db")
	oldKey := mustKey(t)
	plain := openPath(t, path) // opened before the database was sealed
	defer plain.Close()
	stale := openPath(t, path, storage.WithKey(oldKey))
	defer stale.Close()
	fill(t, stale)
	rotator := openPath(t, path, storage.WithKey(oldKey))
	defer rotator.Close()
	if _, err := rotator.RotateKey(ctx, mustKey(t)); err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]*storage.DB{"old key": stale, "no key": plain} {
		if _, err := db.Platform(ctx, "wxc"); !errors.Is(err, storage.ErrWrongKey) && !errors.Is(err, storage.ErrKeyRequired) {
			t.Errorf("%s: reading: %v", name, err)
		}
		// SaveTicket opens the stored ticket first (a repeat is compared in plaintext), so the
		// stale key is refused there, before the trigger would refuse the write.
		_, _, err := db.SaveTicket(ctx, storage.Ticket{ComponentAppID: "wxc", Ticket: "ticket@@@NEW", CreateTime: t0.Add(time.Hour), ReceivedAt: t0, Source: "push"})
		if err == nil || !strings.Contains(err.Error(), "not sealed under the database key") && !errors.Is(err, storage.ErrWrongKey) && !errors.Is(err, storage.ErrKeyRequired) {
			t.Errorf("%s: writing a ticket: %v", name, err)
		}
		_, err = db.SwapComponentToken(ctx, 1, storage.ComponentToken{ComponentAppID: "wxc", Token: "NEWTOKEN", ExpiresAt: t0})
		if err == nil || !strings.Contains(err.Error(), "not sealed under the database key") {
			t.Errorf("%s: writing a component token: %v", name, err)
		}
	}
	check(t, rotator)
}

// TestReleaseSessionComparesOpened: releasing a claim compares the sealed code opened.
func TestReleaseSessionComparesOpened(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openPath(t, filepath.Join(t.TempDir(), "wxauth.db"), storage.WithKey(mustKey(t)))
	defer db.Close()
	fill(t, db)
	if err := db.ReleaseSession(ctx, "s1", "another code"); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("release with another code: %v", err)
	}
	if err := db.ReleaseSession(ctx, "s1", secrets["authcode"]); err != nil {
		t.Fatalf("release with the claimed code: %v", err)
	}
	if s, err := db.Session(ctx, "s1"); err != nil || s.State != storage.SessionPending || s.AuthCode != "" {
		t.Fatalf("after release: %+v %v", s, err)
	}
}

// TestKeyFiles: key files are refused when others can read them, or through a link; a key file
// is written owner-only and never over another.
func TestKeyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := mustKey(t)
	path := filepath.Join(dir, "key")
	if err := storage.WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	if err := storage.WriteKeyFile(path, mustKey(t)); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("overwriting a key file: %v", err)
	}
	got, err := storage.ReadKeyFile(path)
	if err != nil || got.ID() != k.ID() {
		t.Fatalf("read back %v %v", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.ReadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
	link := filepath.Join(dir, "link")
	os.Chmod(path, 0o600)
	os.Symlink(path, link)
	if _, err := storage.ReadKeyFile(link); err == nil {
		t.Error("a key file through a symbolic link was read")
	}
	for _, bad := range []string{"", "not base64!", "c2hvcnQ="} {
		if _, err := storage.ParseKey(bad); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("ParseKey(%q): %v", bad, err)
		}
	}
	if s := k.String() + " " + k.GoString(); strings.Contains(s, k.Encode()) || !strings.Contains(s, k.ID()) {
		t.Errorf("a key prints as %q", s)
	}
}
