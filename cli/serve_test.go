package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"wxauth/storage"
)

// authorizerStatus reads `authorizers --json` and returns appid → status.
func authorizerStatus(t *testing.T, db string) map[string]string {
	t.Helper()
	var list []map[string]any
	wxJSON(t, db, &list, "authorizers")
	out := map[string]string{}
	for _, a := range list {
		out[a["authorizer_appid"].(string)] = a["status"].(string)
	}
	return out
}

// TestServeAuthorizedPushAlone: with only serve running (no console, no redirect, no paste),
// the `authorized` push is enough to exchange the code and store the authorizer; the
// `unauthorized` push marks it revoked, after which its token is refused with exit 3.
func TestServeAuthorizedPushAlone(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t)
	serve, stop := startServe(t, e.db)
	if err := e.sim.PushTicket(ctx, sandboxAppID, false); err != nil {
		t.Fatal(err)
	}
	// A session started elsewhere (authorize gives up at once); the merchant approves later
	// and no browser comes back to us: only the push carries the code.
	s := startSession(t, e.db)
	e.approve(t, s, coffeeAppID, false)
	// The grant is stored first, then the account's info fetched, then the session finished.
	waitFor(t, 10*time.Second, "serve to store the authorizer", func() bool {
		return authorizerStatus(t, e.db)[coffeeAppID] == storage.StatusHealthy && latestSession(t, e.db).State == storage.SessionDone
	})
	var st struct {
		Platforms []struct {
			Session map[string]any `json:"session"`
		} `json:"platforms"`
	}
	wxJSON(t, e.db, &st, "status")
	if sess := st.Platforms[0].Session; sess["code_source"] != "push" || sess["state"] != storage.SessionDone {
		t.Errorf("session after the push: %v", sess)
	}
	tok := strings.TrimSpace(wxOK(t, e.db, "token", coffeeAppID).out)
	if ti := e.checkToken(t, tok); !ti.Valid || ti.AppID != coffeeAppID {
		t.Errorf("token after push-only authorization: %+v", ti)
	}

	// A second account, then the merchant of the first cancels.
	s = startSession(t, e.db)
	e.approve(t, s, travelAppID, false)
	waitFor(t, 10*time.Second, "the second authorizer", func() bool {
		return authorizerStatus(t, e.db)[travelAppID] == storage.StatusHealthy
	})
	if err := e.sim.Unauthorize(ctx, sandboxAppID, coffeeAppID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "serve to record the revocation", func() bool {
		return authorizerStatus(t, e.db)[coffeeAppID] == storage.StatusRevoked
	})
	r := wx(t, e.db, "", "token", coffeeAppID)
	if r.code != 3 || r.out != "" || !strings.Contains(r.err, "cancelled its authorization") || !strings.Contains(r.err, "what to do:") {
		t.Errorf("token of a revoked authorizer: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
	// export skips the revoked one with a note and exports the other.
	var items []map[string]any
	r = wx(t, e.db, "", "export", "--format", "json")
	if r.code != 0 {
		t.Fatalf("export: exit %d, stderr %s", r.code, r.err)
	}
	if err := json.Unmarshal([]byte(r.out), &items); err != nil || len(items) != 1 || items[0]["authorizer_appid"] != travelAppID {
		t.Errorf("export after a revocation: %s (%v)", r.out, err)
	}
	if !strings.Contains(r.err, "skipped "+coffeeAppID) {
		t.Errorf("export did not note the skipped account: %s", r.err)
	}
	// Naming the revoked one is an error only the user can fix.
	if r := wx(t, e.db, "", "export", coffeeAppID, travelAppID); r.code != 3 || !strings.Contains(r.out, "WXAUTH_WX2C7B1E9F0A4D6835_ACCESS_TOKEN=") {
		t.Errorf("export naming a revoked account: exit %d, stdout %s, stderr %s", r.code, r.out, r.err)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	log := serve.err.String()
	for _, want := range []string{"authorized", "cancelled its authorization", "serve: stopping"} {
		if !strings.Contains(log, want) {
			t.Errorf("serve stderr lacks %q:\n%s", want, log)
		}
	}
}

// TestServeListenersAndRestart: one listener per distinct listen address, --listen
// overriding them; the refresher's lease is handed over on a clean stop, so a second serve
// (a restart) refreshes at once; what the first stored survives.
func TestServeListenersAndRestart(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t)
	// A second platform on another address (its secrets are not the simulator's: it only
	// needs a listener).
	other := freeAddr(t)
	wxOK(t, e.db, "platform", "add", "--appid", "wx0123456789abcdef", "--token", "othertoken", "--aes-key", sandboxAESKey,
		"--domain", other, "--public-url", "http://"+other, "--listen", other)
	serve, stop := startServe(t, e.db)
	waitFor(t, 5*time.Second, "both listeners", func() bool {
		return strings.Count(serve.out.String(), "serve: listening on") == 2
	})
	for _, addr := range []string{e.addr, other} {
		if !strings.Contains(serve.out.String(), "serve: listening on http://"+addr+"\n") {
			t.Errorf("no listener on %s:\n%s", addr, serve.out.String())
		}
	}
	if err := e.sim.PushTicket(ctx, sandboxAppID, false); err != nil {
		t.Fatal(err)
	}
	// The refresher (not a token call) mints the component token once the ticket arrives.
	waitFor(t, 10*time.Second, "the refresher's component token", func() bool {
		return e.sim.Stats().ComponentTokensMinted == 1
	})
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	one := freeAddr(t)
	serve2, stop2 := startServe(t, e.db, "--listen", one)
	if got := serve2.out.String(); !strings.HasPrefix(got, "serve: listening on http://"+one+"\n") || strings.Count(got, "serve: listening on") != 1 {
		t.Errorf("serve --listen stdout %q", got)
	}
	var tk map[string]any
	wxJSON(t, e.db, &tk, "--platform", sandboxAppID, "ticket", "show")
	if tk["ticket"] != e.sim.CurrentTicket(sandboxAppID) {
		t.Errorf("the ticket did not survive the restart: %v", tk)
	}
	tok := strings.TrimSpace(wxOK(t, e.db, "--platform", sandboxAppID, "token").out)
	if ti := e.checkToken(t, tok); !ti.Valid || e.sim.Stats().ComponentTokensMinted != 1 {
		t.Errorf("after restart: token %+v, minted %d", ti, e.sim.Stats().ComponentTokensMinted)
	}
	if code := stop2(); code != 0 {
		t.Fatalf("second serve exit %d", code)
	}
}

func TestServeUsage(t *testing.T) {
	e := newSimEnv(t)
	if r := wx(t, e.db, "", "serve", "--interval", "0s"); r.code != 2 {
		t.Errorf("serve --interval 0s: exit %d", r.code)
	}
	// The address is taken: serve cannot run and says so.
	_, stop := startServe(t, e.db)
	r := wx(t, e.db, "", "serve")
	if r.code != 1 || !strings.Contains(r.err, "cannot bind "+e.addr) {
		t.Errorf("second serve on a busy address: exit %d, stderr %s", r.code, r.err)
	}
	stop()
}
