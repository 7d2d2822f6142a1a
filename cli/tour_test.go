package cli_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"wxauth/cli"
	"wxauth/core/wxsim"
)

// TestReadmeOfflineTour runs the README's offline walkthrough ("Headless commands / A tour",
// the block that starts `wxauth sim &`) as real processes, each line as pasted: sim, platform
// add, `serve &` and at once `ticket push && wxauth token`, which must not race serve's start.
// Then an authorization waiting for the merchant is stopped with Ctrl-C (exit 130), and serve
// with Ctrl-C too (exit 0, as documented).
func TestReadmeOfflineTour(t *testing.T) {
	bin := buildWXAuth(t)
	addr := freeAddr(t) // the README's 127.0.0.1:8765, free here
	world := wxsim.DefaultWorld()
	world.Platforms[0].EventURL = "http://" + addr + "/wechat/events"
	world.Platforms[0].AuthDomain = addr
	sim := startSimProc(t, bin, world)
	env := []string{"WXAUTH_DB=" + tempDB(t), "WXAUTH_APPSECRET=" + sandboxSecret}

	if r := runProc(t, bin, env, "platform", "add", "--appid", sandboxAppID, "--token", sandboxToken,
		"--aes-key", sandboxAESKey, "--domain", addr, "--public-url", "http://"+addr,
		"--api-base", sim.url, "--login-base", sim.url, "--mobile-base", sim.url, "--listen", addr); r.code != 0 {
		t.Fatalf("platform add: exit %d\n%s", r.code, r.err)
	}
	serve := startProc(t, "serve", bin, env, "serve")
	r := runProc(t, bin, env, "ticket", "push")
	if r.code != 0 || !strings.Contains(r.out, "ticket received for "+sandboxAppID) {
		t.Fatalf("ticket push right after serve &: exit %d\nstdout: %s\nstderr: %s\nserve: %s%s", r.code, r.out, r.err, serve.out.String(), serve.err.String())
	}
	r = runProc(t, bin, env, "token")
	if r.code != 0 {
		t.Fatalf("token: exit %d\n%s", r.code, r.err)
	}
	if ti := sim.checkToken(t, strings.TrimSpace(r.out)); !ti.Valid || ti.Kind != "component" {
		t.Fatalf("the component token is not valid at the simulator: %+v", ti)
	}

	auth := startProc(t, "authorize", bin, env, "authorize", "--no-browser")
	waitErr(t, auth, 10*time.Second, "Waiting for the merchant")
	if code := auth.signal(t, syscall.SIGINT, 10*time.Second); code != cli.ExitInterrupted {
		t.Errorf("authorize after Ctrl-C: exit %d, want 130\nstderr: %s", code, auth.err.String())
	}
	if !strings.Contains(auth.err.String(), "interrupted") {
		t.Errorf("authorize after Ctrl-C does not say it was interrupted:\n%s", auth.err.String())
	}
	if code := serve.signal(t, syscall.SIGINT, 15*time.Second); code != 0 {
		t.Errorf("serve after Ctrl-C: exit %d, want 0 (documented)\nstderr: %s", code, serve.err.String())
	}
}

// waitErr waits until p's stderr contains s.
func waitErr(t testing.TB, p *proc, timeout time.Duration, s string) {
	t.Helper()
	waitFor(t, timeout, p.name+" to print "+s, func() bool {
		if !p.running() {
			t.Fatalf("%s exited (%v)\nstderr: %s", p.name, p.state, p.err.String())
		}
		return strings.Contains(p.err.String(), s)
	})
}
