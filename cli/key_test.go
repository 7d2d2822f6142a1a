package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"wxauth/storage"
)

// keyFile generates a key with `wxauth key generate --out` and returns the file and the key.
func keyFile(t testing.TB, dir, name string) (string, storage.Key) {
	t.Helper()
	path := filepath.Join(dir, name)
	r := wx(t, filepath.Join(dir, "unused.db"), "", "key", "generate", "--out", path)
	if r.code != 0 || !strings.Contains(r.out, "mode 0600") {
		t.Fatalf("key generate --out: exit %d\n%s%s", r.code, r.out, r.err)
	}
	k, err := storage.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, k
}

// storedSecrets opens db with key and lists every secret it holds, as plaintext.
func storedSecrets(t testing.TB, db string, key storage.Key) []string {
	t.Helper()
	ctx := context.Background()
	sdb, err := storage.Open(ctx, db, storage.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var out []string
	ps, err := sdb.Platforms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		out = append(out, p.AppSecret, p.Token, p.EncodingAESKey)
		if tk, err := sdb.CurrentTicket(ctx, p.ComponentAppID); err == nil {
			out = append(out, tk.Ticket)
		}
		if ct, err := sdb.ComponentToken(ctx, p.ComponentAppID); err == nil {
			out = append(out, ct.Token)
		}
		as, err := sdb.Authorizers(ctx, p.ComponentAppID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			out = append(out, a.AccessToken, a.RefreshToken)
		}
		rts, err := sdb.RefreshTokens(ctx, p.ComponentAppID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rts {
			out = append(out, r.Token)
		}
		if s, err := sdb.LatestSession(ctx, p.ComponentAppID); err == nil && s.AuthCode != "" {
			out = append(out, s.AuthCode)
		}
	}
	return out
}

// dumpDatabase is what a reader of the file sees: `sqlite3 .dump` when sqlite3 is installed
// (.ci/run installs it), and every table's every value read with SQL, and the raw bytes.
func dumpDatabase(t testing.TB, db string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if _, err := exec.LookPath("sqlite3"); err == nil {
		d, err := exec.Command("sqlite3", "-readonly", db, ".dump").Output()
		if err != nil || !bytes.Contains(d, []byte("CREATE TABLE authorizers")) {
			t.Fatalf("sqlite3 .dump: %v\n%s", err, d)
		}
		out["sqlite3 .dump"] = d
	} else {
		t.Log("sqlite3 is not installed: checking the SQL dump and the raw file only")
	}
	raw, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var sel bytes.Buffer
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type='table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tbl := range tables {
		rs, err := raw.Query(`SELECT * FROM ` + tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rs.Scan(ptrs...)
			for _, v := range vals {
				switch v := v.(type) {
				case string:
					sel.WriteString(v + "|")
				case []byte:
					sel.Write(append(v, '|'))
				}
			}
		}
		rs.Close()
	}
	out["SELECT * of every table"] = sel.Bytes()
	var file []byte
	for _, p := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		file = append(file, b...)
	}
	out["the file's bytes"] = file
	return out
}

func assertSecretsHidden(t testing.TB, secrets []string, views map[string][]byte) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q too short to search for", s)
		}
		for what, data := range views {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s shows the secret %.6s…", what, s)
			}
		}
	}
}

// TestSealedDatabaseThroughTheCLI: the whole flow (demo --headless: push, component token,
// authorization through the browser path, exchange, refresh) on a database sealed with
// --key-file; no secret readable in `sqlite3 .dump`, any column or the file's bytes; token and
// export still print the plaintext; without the key or with another one every command is
// refused and the file left as it was; rotation moves everything to the new key.
func TestSealedDatabaseThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wxauth.db")
	kf, key := keyFile(t, dir, "wxauth.key")
	r := wx(t, db, "", "--key-file", kf, "demo", "--headless")
	if r.code != 0 || !strings.Contains(r.out, "the whole flow works") {
		t.Fatalf("demo --headless with a key: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	secrets := storedSecrets(t, db, key)
	if len(secrets) < 9 {
		t.Fatalf("only %d secrets stored", len(secrets))
	}
	assertSecretsHidden(t, secrets, dumpDatabase(t, db))
	if log, err := os.ReadFile(filepath.Join(dir, "wxauth.log")); err == nil {
		assertSecretsHidden(t, secrets, map[string][]byte{"wxauth.log": log})
	}

	// What the user asks for comes out in plaintext.
	tok := strings.TrimSpace(wxOK(t, db, "--key-file", kf, "token", coffeeAppID).out)
	sdb, err := storage.Open(context.Background(), db, storage.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	a, err := sdb.Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	sdb.Close()
	if err != nil || tok != a.AccessToken || strings.HasPrefix(tok, "wxs1:") {
		t.Fatalf("token printed %q, stored %q (%v)", tok, a.AccessToken, err)
	}
	var items []map[string]any
	out := wxOK(t, db, "--key-file", kf, "export", "--format", "json", "--refresh-tokens", coffeeAppID).out
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 1 ||
		items[0]["access_token"] != a.AccessToken || items[0]["refresh_token"] != a.RefreshToken {
		t.Fatalf("export: %v\n%s", err, out)
	}

	// No key, a wrong key, a key file others can read: refused, nothing touched.
	before := dumpDatabase(t, db)["the file's bytes"]
	otherKF, _ := keyFile(t, dir, "other.key")
	loose := filepath.Join(dir, "loose.key")
	k, _ := os.ReadFile(kf)
	os.WriteFile(loose, k, 0o644)
	for _, c := range []struct {
		name string
		args []string
		says string
	}{
		{"no key", []string{"token", coffeeAppID}, "WXAUTH_KEY"},
		{"wrong key", []string{"--key-file", otherKF, "status"}, "sealed under key " + key.ID()},
		{"loose key file", []string{"--key-file", loose, "token", coffeeAppID}, "chmod 600"},
	} {
		r := wx(t, db, "", c.args...)
		if r.code != 1 || !strings.Contains(r.err, c.says) || strings.Contains(r.out, tok) {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", c.name, r.code, r.out, r.err)
		}
		if after := dumpDatabase(t, db)["the file's bytes"]; !bytes.Equal(before, after) {
			t.Errorf("%s: the database file changed", c.name)
		}
	}

	// Status needs no key and shows no secret.
	var st struct {
		Sealed  bool             `json:"sealed"`
		KeyID   string           `json:"key_id"`
		Columns []map[string]any `json:"columns"`
	}
	r = wxOK(t, db, "key", "status", "--json")
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || !st.Sealed || st.KeyID != key.ID() || len(st.Columns) != 10 {
		t.Fatalf("key status: %v\n%s", err, r.out)
	}
	assertSecretsHidden(t, secrets, map[string][]byte{"key status": []byte(r.out)})

	// Rotation: everything moves to the new key; the old one is refused after.
	newKF, newKey := keyFile(t, dir, "new.key")
	r = wxOK(t, db, "--key-file", kf, "key", "rotate", "--new-key-file", newKF)
	if !strings.Contains(r.out, "under key "+newKey.ID()) || !strings.Contains(r.out, "was key "+key.ID()) {
		t.Errorf("key rotate: %s", r.out)
	}
	if r := wx(t, db, "", "--key-file", kf, "token", coffeeAppID); r.code != 1 || !strings.Contains(r.err, "sealed under key "+newKey.ID()) {
		t.Errorf("the old key after rotation: exit %d %s", r.code, r.err)
	}
	if got := strings.TrimSpace(wxOK(t, db, "--key-file", newKF, "token", coffeeAppID).out); got != tok {
		t.Errorf("token after rotation %q, want %q", got, tok)
	}
	r = wxOK(t, db, "--key-file", newKF, "key", "status")
	if !strings.Contains(r.out, "sealed under key "+newKey.ID()) || !strings.Contains(r.out, "the key given is that key") {
		t.Errorf("key status after rotation: %s", r.out)
	}
	assertSecretsHidden(t, storedSecrets(t, db, newKey), dumpDatabase(t, db))
}

// TestKeyGenerate: a printed key is a valid key; --out never overwrites.
func TestKeyGenerate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := wxOK(t, filepath.Join(dir, "w.db"), "key", "generate")
	k, err := storage.ParseKey(r.out)
	if err != nil {
		t.Fatalf("generated %q: %v", r.out, err)
	}
	if r2 := wxOK(t, filepath.Join(dir, "w.db"), "key", "generate"); r2.out == r.out {
		t.Error("two generated keys are equal")
	}
	path, _ := keyFile(t, dir, "k")
	if r := wx(t, filepath.Join(dir, "w.db"), "", "key", "generate", "--out", path); r.code != 1 || !strings.Contains(r.err, "never overwrites") {
		t.Errorf("key generate over an existing file: exit %d %s", r.code, r.err)
	}
	_ = k
}

// TestPlaintextDatabaseSealedByAKey: a database made without a key is sealed by the first
// command given one (every secret, in one transaction), and works on.
func TestPlaintextDatabaseSealedByAKey(t *testing.T) {
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	tok := strings.TrimSpace(wxOK(t, e.db, "token", coffeeAppID).out)
	kf, key := keyFile(t, filepath.Dir(e.db), "k")
	r := wxOK(t, e.db, "--key-file", kf, "key", "status")
	if !strings.Contains(r.out, "sealed under key "+key.ID()) {
		t.Fatalf("status with a key on a plaintext database: %s", r.out)
	}
	if got := strings.TrimSpace(wxOK(t, e.db, "--key-file", kf, "token", coffeeAppID).out); got != tok {
		t.Errorf("token after sealing %q, want %q", got, tok)
	}
	assertSecretsHidden(t, append(storedSecrets(t, e.db, key), sandboxSecret, sandboxAESKey), dumpDatabase(t, e.db))
}

// TestKeyRotateGeneratesAKey: without a new key, rotate prints a generated one (before it
// changes anything) that opens the database afterwards; --json wants the new key given.
func TestKeyRotateGeneratesAKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "wxauth.db")
	kf, key := keyFile(t, dir, "k")
	wxOK(t, db, "--key-file", kf, "demo", "--headless")
	if r := wx(t, db, "", "--key-file", kf, "key", "rotate", "--json"); r.code != 2 || !strings.Contains(r.err, "WXAUTH_NEW_KEY") {
		t.Errorf("rotate --json without a new key: exit %d %s", r.code, r.err)
	}
	r := wxOK(t, db, "--key-file", kf, "key", "rotate")
	line, _, _ := strings.Cut(r.out, "\n")
	next, err := storage.ParseKey(line)
	if err != nil || !strings.Contains(r.err, "shown once") || !strings.Contains(r.out, "under key "+next.ID()) {
		t.Fatalf("rotate with a generated key: %v\nstdout: %s\nstderr: %s", err, r.out, r.err)
	}
	if next.ID() == key.ID() {
		t.Fatal("the generated key is the old one")
	}
	if len(storedSecrets(t, db, next)) == 0 {
		t.Fatal("nothing readable under the generated key")
	}
}

// TestBadKeyEnvironment: a WXAUTH_KEY that is not a key is refused, naming the variable, and
// not echoed.
func TestBadKeyEnvironment(t *testing.T) {
	t.Setenv("WXAUTH_KEY", "my-secret-passphrase")
	r := wx(t, tempDB(t), "", "status")
	if r.code != 1 || !strings.Contains(r.err, "$WXAUTH_KEY") || !strings.Contains(r.err, "wxauth key generate") ||
		strings.Contains(r.err, "my-secret-passphrase") {
		t.Fatalf("a bad WXAUTH_KEY: exit %d %s", r.code, r.err)
	}
}
