package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"wxauth/core/flow"
	"wxauth/core/wxsim"
	"wxauth/internal/mariadbtest"
	"wxauth/storage"
)

// mariadbDump is `mariadb-dump` (or `mysqldump`) of database name: what someone holding a copy
// of the server's data, or its backups, reads. The password goes in MYSQL_PWD, not argv.
func mariadbDump(t testing.TB, srv *mariadbtest.Server, name string) []byte {
	t.Helper()
	bin, err := exec.LookPath("mariadb-dump")
	if err != nil {
		if bin, err = exec.LookPath("mysqldump"); err != nil {
			if os.Getenv("WXAUTH_TEST_MARIADB") == "required" {
				t.Fatal("neither mariadb-dump nor mysqldump is installed (apt-get install mariadb-client)")
			}
			t.Skip("neither mariadb-dump nor mysqldump is installed (apt-get install mariadb-client)")
		}
	}
	host, port, _ := strings.Cut(srv.Addr, ":")
	cmd := exec.Command(bin, "--protocol=tcp", "-h", host, "-P", port, "-u", mariadbtest.User,
		"--skip-dump-date", "--skip-comments", "--single-transaction", "--skip-extended-insert", name)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+mariadbtest.Password)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil || !bytes.Contains(out, []byte("CREATE TABLE `authorizers`")) {
		t.Fatalf("%s %s: %v\n%s\n%.2000s", bin, name, err, errOut.String(), out)
	}
	return out
}

// sealedSecrets is every secret the MySQL store holds, read in plaintext with key: those of
// storedSecrets and each sink's Redis URL.
func sealedSecrets(t testing.TB, url string, key storage.Key) []string {
	t.Helper()
	out := storedSecrets(t, url, key)
	sdb, err := storage.Open(context.Background(), url, storage.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	sinks, err := sdb.Sinks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sinks {
		out = append(out, s.URL)
	}
	return out
}

// TestSealedOnMariaDB (issue 14, "Encryption"): a full authorization through the CLI on a
// mysql:// store with a key leaves no secret readable in `mariadb-dump` of the database (the
// AppSecret, Token, EncodingAESKey, ticket, component and authorizer tokens, refresh tokens,
// the authorization code, a sink's Redis URL); a wrong key and no key are refused, naming what
// to do, with the tables unchanged; --insecure-plaintext runs a database without one; `key
// rotate` re-seals everything (the dump shows the new key id only) and the flow goes on under
// the new key.
func TestSealedOnMariaDB(t *testing.T) {
	srv := maria.Server(t)
	key, other, next := mustGenerate(t), mustGenerate(t), mustGenerate(t)
	t.Setenv(flow.KeyEnv, key.Encode())
	t.Setenv(flow.DatabasePasswordEnv, mariadbtest.Password)
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // this test's own log
	url := srv.NewDatabase(t, false)
	name := url[strings.LastIndex(url, "/")+1:]
	withPW := strings.Replace(url, mariadbtest.User+"@", mariadbtest.User+":"+mariadbtest.Password+"@", 1)

	e := newSimEnvOn(t, wxsim.DefaultWorld(), nil, url)
	e.authorizeByPaste(t, coffeeAppID)
	const sinkURL = "redis://:sink-password-4f1d9c@127.0.0.1:1/3"
	t.Setenv("WXAUTH_REDIS_URL", sinkURL)
	wxOK(t, url, "publish", "add", "--format", "wxjava", "--prefix", "wx:open")
	tok := strings.TrimSpace(wxOK(t, url, "token", coffeeAppID).out)
	wxOK(t, url, "token", "component")

	secrets := sealedSecrets(t, withPW, key)
	if len(secrets) < 10 || !contains(secrets, sinkURL) || !contains(secrets, sandboxSecret) || !contains(secrets, tok) {
		t.Fatalf("only %d secrets stored (sink URL, AppSecret and token among them?)", len(secrets))
	}
	dump := mariadbDump(t, srv, name)
	assertSecretsHidden(t, secrets, map[string][]byte{"mariadb-dump": dump})
	if !bytes.Contains(dump, []byte("wxs1:"+key.ID()+":")) {
		t.Fatalf("the dump shows no value sealed under key %s", key.ID())
	}
	if log, err := os.ReadFile(os.Getenv("XDG_DATA_HOME") + "/wxauth/wxauth.log"); err == nil {
		assertSecretsHidden(t, secrets, map[string][]byte{"wxauth.log": log})
	}

	// A wrong key and no key: refused, saying what to do; not one row changed.
	for _, c := range []struct {
		name, key string
		args      []string
		says      string
	}{
		{"wrong key", other.Encode(), []string{"token", coffeeAppID}, "sealed under key " + key.ID()},
		{"wrong key, status", other.Encode(), []string{"status"}, "sealed under key " + key.ID()},
		{"no key", "", []string{"token", coffeeAppID}, "WXAUTH_KEY"},
		{"no key, status", "", []string{"status"}, "--insecure-plaintext"},
	} {
		t.Setenv(flow.KeyEnv, c.key)
		r := wx(t, url, "", c.args...)
		if r.code != 1 || !strings.Contains(r.err, c.says) || strings.Contains(r.out+r.err, tok) {
			t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", c.name, r.code, r.out, r.err)
		}
		if after := mariadbDump(t, srv, name); !bytes.Equal(dump, after) {
			t.Errorf("%s: the tables changed", c.name)
		}
	}

	// --insecure-plaintext: a server database without a key works, its secrets readable (so
	// the dump shows them), and says so.
	t.Setenv(flow.KeyEnv, "")
	plainURL := srv.NewDatabase(t, false)
	add := []string{"platform", "add", "--appid", sandboxAppID, "--token", sandboxToken, "--aes-key", sandboxAESKey,
		"--domain", e.addr, "--public-url", e.public, "--listen", e.addr, "--api-base", e.simURL}
	if r := wx(t, plainURL, "", add...); r.code != 1 || !strings.Contains(r.err, "--insecure-plaintext") {
		t.Errorf("platform add on a server database without a key: exit %d\n%s", r.code, r.err)
	}
	wxOK(t, plainURL, append([]string{"--insecure-plaintext"}, add...)...)
	if r := wxOK(t, plainURL, "--insecure-plaintext", "platform", "list"); !strings.Contains(r.out, sandboxAppID) {
		t.Errorf("platform list --insecure-plaintext:\n%s", r.out)
	}
	plainName := plainURL[strings.LastIndex(plainURL, "/")+1:]
	if d := mariadbDump(t, srv, plainName); !bytes.Contains(d, []byte(sandboxSecret)) || bytes.Contains(d, []byte("wxs1:")) {
		t.Errorf("--insecure-plaintext: the AppSecret is not stored as given")
	}
	t.Setenv(flow.KeyEnv, key.Encode())

	// Rotation: every value moves to the new key; the old key is refused; the flow goes on.
	t.Setenv(flow.NewKeyEnv, next.Encode())
	r := wxOK(t, url, "key", "rotate")
	if !strings.Contains(r.out, "under key "+next.ID()) || !strings.Contains(r.out, "was key "+key.ID()) {
		t.Errorf("key rotate: %s\n%s", r.out, r.err)
	}
	t.Setenv(flow.NewKeyEnv, "")
	if r := wx(t, url, "", "token", coffeeAppID); r.code != 1 || !strings.Contains(r.err, "sealed under key "+next.ID()) {
		t.Errorf("the old key after rotation: exit %d %s", r.code, r.err)
	}
	t.Setenv(flow.KeyEnv, next.Encode())
	if got := strings.TrimSpace(wxOK(t, url, "token", coffeeAppID).out); got != tok {
		t.Errorf("token after rotation %q, want %q", got, tok)
	}
	e.authorizeByPaste(t, travelAppID)
	travel := strings.TrimSpace(wxOK(t, url, "token", travelAppID).out)
	if ti := e.checkToken(t, travel); !ti.Valid {
		t.Fatalf("token authorized under the new key refused by WeChat: %+v", ti)
	}
	rotated := sealedSecrets(t, withPW, next)
	dump = mariadbDump(t, srv, name)
	assertSecretsHidden(t, append(rotated, secrets...), map[string][]byte{"mariadb-dump after rotation": dump})
	if bytes.Contains(dump, []byte("wxs1:"+key.ID()+":")) || !bytes.Contains(dump, []byte("wxs1:"+next.ID()+":")) {
		t.Errorf("after rotation the dump shows the old key id or not the new one")
	}
	r = wxOK(t, url, "key", "status")
	if !strings.Contains(r.out, "sealed under key "+next.ID()) {
		t.Errorf("key status after rotation: %s", r.out)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
