package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"wxauth/tokenclient"
)

// TestClientCommands: add and rotate print the key alone on stdout (or JSON), list shows the
// scope and never a key, remove works, mistakes are explained.
func TestClientCommands(t *testing.T) {
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	r := wxOK(t, e.db, "client", "add", "order-svc")
	key := strings.TrimSuffix(r.out, "\n")
	if !strings.HasPrefix(key, "wxa_") || strings.Contains(key, "\n") || len(key) < 47 {
		t.Fatalf("add printed %q", r.out)
	}
	if !strings.Contains(r.err, "shown only now") {
		t.Errorf("add stderr %q", r.err)
	}
	var added struct {
		Name, Key string
		Scopes    struct {
			ComponentAppID   string   `json:"component_appid"`
			AuthorizerAppIDs []string `json:"authorizer_appids"`
			Component        bool
		}
	}
	wxJSON(t, e.db, &added, "client", "add", "shop", "--appid", coffeeAppID, "--component")
	if added.Name != "shop" || !strings.HasPrefix(added.Key, "wxa_") || added.Scopes.ComponentAppID != sandboxAppID ||
		len(added.Scopes.AuthorizerAppIDs) != 1 || !added.Scopes.Component {
		t.Fatalf("add --json: %+v", added)
	}
	list := wxOK(t, e.db, "client", "list")
	for _, want := range []string{"order-svc", "all authorizers", "shop", coffeeAppID + " + component", "never"} {
		if !strings.Contains(list.out, want) {
			t.Errorf("list lacks %q:\n%s", want, list.out)
		}
	}
	rotated := strings.TrimSpace(wxOK(t, e.db, "client", "rotate", "order-svc").out)
	if rotated == key || !strings.HasPrefix(rotated, "wxa_") {
		t.Fatalf("rotate printed %q", rotated)
	}
	listJSON := wxOK(t, e.db, "--json", "client", "list")
	for _, out := range []string{list.out, list.err, listJSON.out} {
		for _, k := range []string{key, rotated, added.Key} {
			if strings.Contains(out, k) {
				t.Fatal("client list shows a key")
			}
		}
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(listJSON.out), &rows); err != nil || len(rows) != 2 || rows[0]["rotated_at"] == nil {
		t.Fatalf("list --json: %v %s", err, listJSON.out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"client", "add", "order-svc"}, 3, "exists already"},
		{[]string{"client", "add", "bad name"}, 3, "not a usable client name"},
		{[]string{"client", "add", "x", "--appid", "nope"}, 2, "is not an appid"},
		{[]string{"client", "add", "x", "--appid", "wx00000000000000ff"}, 3, "has not authorized"},
		{[]string{"client", "remove", "ghost"}, 3, "no client named ghost"},
		{[]string{"client", "rotate", "ghost"}, 3, "no client named ghost"},
	} {
		r := wx(t, e.db, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, r.code, r.err)
		}
	}
	wxOK(t, e.db, "client", "remove", "shop")
	if out := wxOK(t, e.db, "client", "list").out; strings.Contains(out, "shop") {
		t.Fatalf("removed client still listed:\n%s", out)
	}
}

// TestServeAPIRefusesPlaintextOnTheNetwork: serve --api on a non-loopback address without TLS
// is a usage error that says what to do.
func TestServeAPIRefusesPlaintextOnTheNetwork(t *testing.T) {
	e := newSimEnv(t)
	r := wx(t, e.db, "", "serve", "--api", "0.0.0.0:0")
	if r.code != 2 || !strings.Contains(r.err, "--api-tls-cert") || !strings.Contains(r.err, "--api-allow-plaintext") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	r = wx(t, e.db, "", "serve", "--api", e.addr)
	if r.code != 2 || !strings.Contains(r.err, "WeChat-facing listener") {
		t.Fatalf("--api on the listener's address: exit %d, stderr %q", r.code, r.err)
	}
}

// TestTwoServesShareTheTokenAPI: two `wxauth serve` processes on one database both answer the
// token API; when the lease holder renews a token, the other serves the new one within about
// a second (the feed polls every 500 ms); a key rotated by the CLI is refused by both.
func TestTwoServesShareTheTokenAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	bin := buildWXAuth(t)
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	key := strings.TrimSpace(wxOK(t, e.db, "client", "add", "svc").out)
	apiA, apiB := freeAddr(t), freeAddr(t)
	a := startProc(t, "serve A", bin, nil, "--db", e.db, "serve", "--interval", "1s", "--api", apiA)
	a.waitOut(t, 10*time.Second, "serve: token API on http://"+apiA)
	waitFor(t, 10*time.Second, "serve A to hold the lease", func() bool { return leasePID(t, e.db) == a.cmd.Process.Pid })
	b := startProc(t, "serve B", bin, nil, "--db", e.db, "serve", "--interval", "1s", "--listen", freeAddr(t), "--api", apiB)
	b.waitOut(t, 10*time.Second, "serve: token API on http://"+apiB)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	get := func(addr, k string) (string, error) {
		return tokenclient.New("http://"+addr, k, tokenclient.WithEarly(0)).Authorizer(ctx, coffeeAppID) // a fresh client: no cache
	}
	var ta, tb string
	waitFor(t, 10*time.Second, "both APIs to answer", func() bool {
		var errA, errB error
		ta, errA = get(apiA, key)
		tb, errB = get(apiB, key)
		return errA == nil && errB == nil
	})
	if ta != tb || ta != storedToken(t, e.db, coffeeAppID) {
		t.Fatal("the two serves hand out different tokens")
	}
	// Renewed by the holder (A) at the CLI's request: B serves the new token soon after.
	wxOK(t, e.db, "token", "--renew", coffeeAppID)
	renewed := storedToken(t, e.db, coffeeAppID)
	if renewed == ta {
		t.Fatal("token --renew did not renew")
	}
	began := time.Now()
	waitFor(t, 15*time.Second, "serve B to hand out the renewed token", func() bool {
		tok, err := get(apiB, key)
		return err == nil && tok == renewed
	})
	t.Logf("serve B handed out the holder's renewed token %s after it was stored", time.Since(began).Round(10*time.Millisecond))

	// Rotation by the CLI (a third process): both serves refuse the old key, accept the new one.
	rotated := strings.TrimSpace(wxOK(t, e.db, "client", "rotate", "svc").out)
	for _, addr := range []string{apiA, apiB} {
		waitFor(t, 15*time.Second, "the old key to be refused at "+addr, func() bool {
			_, err := get(addr, key)
			return errors.Is(err, tokenclient.ErrUnauthorized)
		})
		if _, err := get(addr, rotated); err != nil {
			t.Fatalf("the rotated key at %s: %v", addr, err)
		}
	}
	// Both wrote their reads: the list shows them.
	waitFor(t, 20*time.Second, "the reads to be recorded", func() bool {
		var rows []map[string]any
		wxJSON(t, e.db, &rows, "client", "list")
		return len(rows) == 1 && rows[0]["last_used_at"] != nil && rows[0]["reads_today"].(float64) >= 4
	})
}

// storedToken is an authorizer's access token as stored.
func storedToken(t *testing.T, db, appid string) string {
	t.Helper()
	sdb := openStore(t, db)
	defer sdb.Close()
	a, err := sdb.Authorizer(context.Background(), sandboxAppID, appid)
	if err != nil {
		t.Fatal(err)
	}
	return a.AccessToken
}
