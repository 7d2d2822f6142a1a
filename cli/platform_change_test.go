package cli_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPlatformAddSecretsOffTheCommandLine: the Token, the EncodingAESKey and the AppSecret come
// from the environment, from files (a warning when others can read one) or from stdin, so that
// no secret has to be in the arguments ps shows.
func TestPlatformAddSecretsOffTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tokenFile := file("token", sandboxToken+"\n", 0o600)
	keyFile := file("aeskey", sandboxAESKey+"\n", 0o600)
	openKey := file("aeskey-open", sandboxAESKey, 0o644)
	secretFile := file("secret", sandboxSecret+"\n", 0o600)
	base := []string{"platform", "add", "--appid", sandboxAppID, "--domain", "auth.example.com"}
	tests := []struct {
		name              string
		env               map[string]string
		stdin             string
		args              []string
		code              int
		stderr, notStderr string
	}{
		{name: "environment", env: map[string]string{"WXAUTH_TOKEN": sandboxToken, "WXAUTH_AES_KEY": sandboxAESKey, "WXAUTH_APPSECRET": sandboxSecret},
			notStderr: "warning"},
		{name: "owner-only files", args: []string{"--token-file", tokenFile, "--aes-key-file", keyFile, "--appsecret-file", secretFile},
			notStderr: "warning"},
		{name: "a file others can read works, with a warning", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret},
			args: []string{"--token-file", tokenFile, "--aes-key-file", openKey}, stderr: "others can read it (mode 0644); make it owner-only: chmod 600"},
		{name: "token from stdin, appsecret from the environment", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret},
			stdin: sandboxToken + "\n", args: []string{"--token-file", "-", "--aes-key-file", keyFile}},
		{name: "appsecret from stdin, the rest from files", stdin: sandboxSecret + "\n",
			args: []string{"--token-file", tokenFile, "--aes-key-file", keyFile}},
		{name: "flag and file", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret}, args: []string{"--token", sandboxToken, "--token-file", tokenFile, "--aes-key-file", keyFile},
			code: 2, stderr: "give --token or --token-file, not both"},
		{name: "two secrets from stdin", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret}, stdin: "x\ny\n", args: []string{"--token-file", "-", "--aes-key-file", "-"},
			code: 2, stderr: "both read stdin"},
		{name: "missing file", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret}, args: []string{"--token-file", filepath.Join(dir, "nope"), "--aes-key-file", keyFile},
			code: 2, stderr: "--token-file"},
		{name: "nothing for the key", env: map[string]string{"WXAUTH_APPSECRET": sandboxSecret}, args: []string{"--token-file", tokenFile},
			code: 2, stderr: "invalid EncodingAESKey ($WXAUTH_AES_KEY, --aes-key-file or --aes-key)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"WXAUTH_TOKEN", "WXAUTH_AES_KEY", "WXAUTH_APPSECRET"} {
				t.Setenv(k, tt.env[k])
			}
			db := tempDB(t)
			r := wx(t, db, tt.stdin, append(base, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.out, r.err)
			}
			if tt.stderr != "" && !strings.Contains(r.err, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.err)
			}
			if tt.notStderr != "" && strings.Contains(r.err, tt.notStderr) {
				t.Errorf("stderr has %q:\n%s", tt.notStderr, r.err)
			}
			for _, s := range []string{sandboxSecret, sandboxToken, sandboxAESKey} {
				if strings.Contains(r.out+r.err, s) {
					t.Errorf("secret %.6s… was printed", s)
				}
			}
			if tt.code != 0 {
				return
			}
			var p map[string]any
			wxJSON(t, db, &p, "platform", "show", "--reveal")
			if p["appsecret"] != sandboxSecret || p["token"] != sandboxToken || p["encoding_aes_key"] != sandboxAESKey {
				t.Errorf("stored %v", p)
			}
		})
	}
}

// TestPlatformAddPromptsCheckEachValue: on a terminal an invalid value is explained with the
// reason and asked for again, instead of failing at the end.
func TestPlatformAddPromptsCheckEachValue(t *testing.T) {
	for _, k := range []string{"WXAUTH_TOKEN", "WXAUTH_AES_KEY", "WXAUTH_APPSECRET"} {
		t.Setenv(k, "")
	}
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master)
	db := tempDB(t)
	add := startWXOn(t, db, slave, "platform", "add", "--listen", "127.0.0.1:9999")
	steps := []struct{ wait, answer string }{
		{"AppID (开发资料): ", "wx123"},
		{"✗ component appid must be wx followed by 16 lowercase hex digits (开发资料 → AppID); try again\nAppID (开发资料): ", sandboxAppID},
		{"Token (消息校验Token): ", "my token"},
		{"✗ token must be 3 to 32 characters without spaces; try again\nToken (消息校验Token): ", sandboxToken},
		{"EncodingAESKey (消息加解密Key): ", "short"},
		{"✗ EncodingAESKey must be exactly 43 letters and digits (消息加解密Key); try again\nEncodingAESKey (消息加解密Key): ", sandboxAESKey},
		{"授权发起页域名 (host, e.g. auth.example.com): ", "https://auth.example.com/"},
		{"try again\n授权发起页域名 (host, e.g. auth.example.com): ", "auth.example.com"},
		{"AppSecret (开发资料, input hidden): ", "0123"},
		{"✗ appsecret must be 32 characters, got 4; try again\nAppSecret (开发资料, input hidden): ", sandboxSecret},
	}
	for _, s := range steps {
		waitFor(t, 5*time.Second, "the prompt "+s.wait, func() bool { return strings.HasSuffix(add.err.String(), s.wait) })
		if _, err := master.WriteString(s.answer + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if code := add.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, add.err.String())
	}
	var p map[string]any
	wxJSON(t, db, &p, "platform", "show", "--reveal")
	if p["component_appid"] != sandboxAppID || p["token"] != sandboxToken || p["auth_domain"] != "auth.example.com" || p["appsecret"] != sandboxSecret {
		t.Errorf("stored %v", p)
	}
}

// TestPlatformUpdate: only the given settings change, validated; secrets come from the
// environment, files or stdin and are printed masked; the accounts and their tokens stay.
func TestPlatformUpdate(t *testing.T) {
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	before, err := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil {
		t.Fatal(err)
	}
	newAddr := freeAddr(t)
	keyFile := filepath.Join(t.TempDir(), "aeskey")
	newKey := strings.Repeat("K", 43)
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const newSecret = "fedcba9876543210fedcba9876543210"
	t.Setenv("WXAUTH_TOKEN", "n3wT0ken")
	t.Setenv("WXAUTH_APPSECRET", "")
	r := wx(t, e.db, newSecret+"\n", "platform", "update", "--listen", newAddr, "--aes-key-file", keyFile, "--rotate-appsecret")
	if r.code != 0 {
		t.Fatalf("update: exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	for _, want := range []string{"updated; its accounts and tokens are kept", "listen address", e.addr, newAddr,
		"token", "wxauth…(18 chars)  →  ••••", "EncodingAESKey", "KKKKKK…(43 chars)", "appsecret", "fedcba…(32 chars)",
		"restart `wxauth serve`", "消息校验Token"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	for _, s := range []string{"n3wT0ken", newKey, newSecret, sandboxToken} {
		if strings.Contains(r.out+r.err, s) {
			t.Errorf("secret %.6s… printed", s)
		}
	}
	var p map[string]any
	wxJSON(t, e.db, &p, "platform", "show", "--reveal")
	if p["listen_addr"] != newAddr || p["token"] != "n3wT0ken" || p["encoding_aes_key"] != newKey || p["appsecret"] != newSecret ||
		p["auth_domain"] != e.addr || p["api_base"] != e.simURL {
		t.Errorf("after update: %v", p)
	}
	after, _ := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if after.AccessToken != before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Error("the update touched the authorizer's tokens")
	}

	t.Setenv("WXAUTH_TOKEN", "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing given", []string{"platform", "update"}, 0, "nothing changed"},
		{"invalid listen address", []string{"platform", "update", "--listen", "9999"}, 2, "invalid listen address (--listen)"},
		{"public URL off the domain", []string{"platform", "update", "--public-url", "https://elsewhere.example.com"}, 2, "invalid public URL (--public-url)"},
		{"the domain moves the public URL", []string{"platform", "update", "--domain", "auth.example.org"}, 0, "授权事件接收URL http://auth.example.org/wechat/events"},
		{"back to WeChat's API", []string{"platform", "update", "--api-base", ""}, 0, "API base"},
		{"unknown platform", []string{"platform", "update", "wx0000000000000000", "--listen", newAddr}, 3, "platform list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wx(t, e.db, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.out+r.err, tt.want) {
				t.Fatalf("exit %d (want %d), output lacks %q\nstdout: %s\nstderr: %s", r.code, tt.code, tt.want, r.out, r.err)
			}
		})
	}
	wxJSON(t, e.db, &p, "platform", "show")
	if p["public_url"] != "http://auth.example.org" || p["event_url"] != "http://auth.example.org/wechat/events" || p["api_base"] != "" {
		t.Errorf("after the domain change: %v", p)
	}
	var ch map[string]any
	wxJSON(t, e.db, &ch, "platform", "update", "--mobile-base", "https://m.example.com")
	if list, _ := ch["changes"].([]any); len(list) != 1 {
		t.Errorf("update --json changes: %v", ch["changes"])
	}
}

// TestPlatformRemoveAndAddAgain: remove says what goes and needs a yes; the refresh tokens are
// kept, adding the platform again says so, and the import restores the accounts.
func TestPlatformRemoveAndAddAgain(t *testing.T) {
	e := newSimEnv(t)
	e.authorizeByPaste(t, coffeeAppID)
	orig, err := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil {
		t.Fatal(err)
	}
	r := wx(t, e.db, "", "platform", "remove", sandboxAppID)
	if r.code != 2 || !strings.Contains(r.err, "1 authorizer with 1 access token, its tickets, the component token") || !strings.Contains(r.err, "pass --yes") {
		t.Fatalf("remove without a terminal or --yes: exit %d\nstderr: %s", r.code, r.err)
	}
	wxOK(t, e.db, "platform", "show", sandboxAppID) // still there

	// On a terminal it asks: no keeps the platform.
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master)
	rm := startWXOn(t, e.db, slave, "platform", "remove", sandboxAppID)
	waitFor(t, 5*time.Second, "the question", func() bool { return strings.HasSuffix(rm.err.String(), "Remove it? [y/N] ") })
	if !strings.Contains(rm.err.String(), "Kept: the event log and the refresh-token history (1 refresh token of 1 account)") {
		t.Errorf("the question does not say what is kept:\n%s", rm.err.String())
	}
	if _, err := master.WriteString("n\n"); err != nil {
		t.Fatal(err)
	}
	if code := rm.wait(t, 10*time.Second); code != 1 {
		t.Fatalf("answering no: exit %d", code)
	}
	wxOK(t, e.db, "platform", "show", sandboxAppID)

	r = wxOK(t, e.db, "platform", "remove", sandboxAppID, "--yes")
	if !strings.Contains(r.out, "kept: 1 refresh token of 1 account") {
		t.Errorf("remove --yes: %s", r.out)
	}
	// Added again: the kept refresh tokens are offered back, and the import restores the account.
	r = wxOK(t, e.db, "platform", "add", "--appid", sandboxAppID, "--token", sandboxToken, "--aes-key", sandboxAESKey,
		"--domain", e.addr, "--public-url", e.public, "--listen", e.addr, "--api-base", e.simURL, "--login-base", e.simURL, "--mobile-base", e.simURL)
	if !strings.Contains(r.out, "1 refresh token of earlier authorizations (1 account) is kept") || !strings.Contains(r.out, "`wxauth authorizers import` restores the accounts") {
		t.Fatalf("add again: %s", r.out)
	}
	wxOK(t, e.db, "ticket", "set", e.sim.CurrentTicket(sandboxAppID))
	r = wxOK(t, e.db, "authorizers", "import")
	if strings.TrimSpace(r.out) != "imported 1, updated 0, unchanged 0" {
		t.Fatalf("import after adding again: %q\n%s", r.out, r.err)
	}
	back, err := e.storage(t).Authorizer(context.Background(), sandboxAppID, coffeeAppID)
	if err != nil || back.RefreshToken != orig.RefreshToken || back.Status != "healthy" || !e.checkToken(t, back.AccessToken).Valid {
		t.Fatalf("restored account %+v %v", back, err)
	}
}

// TestPlatformHelp: the new commands document themselves, and the value flags of secrets say
// that they show in ps.
func TestPlatformHelp(t *testing.T) {
	for _, cmd := range [][]string{{"platform", "update"}, {"platform", "remove"}, {"authorizers", "import"}, {"platform", "add"}} {
		r := wx(t, tempDB(t), "", append(cmd, "--help")...)
		if r.code != 0 || !strings.Contains(r.out, "Examples:") || !strings.Contains(r.out, "wxauth "+strings.Join(cmd, " ")) {
			t.Errorf("%v --help: exit %d, no examples:\n%s", cmd, r.code, r.out)
		}
		if cmd[0] == "platform" && cmd[1] != "remove" {
			for _, want := range []string{"--token string", "shows in ps", "--token-file", "--aes-key-file", "--appsecret-file"} {
				if !strings.Contains(r.out, want) {
					t.Errorf("%v --help lacks %q", cmd, want)
				}
			}
		}
	}
}

// TestPlatformUpdateRotatesAppSecretOnATerminal: --rotate-appsecret asks with echo off, and
// asks again when the value is not an AppSecret.
func TestPlatformUpdateRotatesAppSecretOnATerminal(t *testing.T) {
	t.Setenv("WXAUTH_APPSECRET", sandboxSecret)
	db := tempDB(t)
	wxOK(t, db, validAdd(nil)...)
	t.Setenv("WXAUTH_APPSECRET", "")
	master, slave := openPTY(t)
	var screen syncBuffer
	go io.Copy(&screen, master)
	up := startWXOn(t, db, slave, "platform", "update", "--rotate-appsecret")
	const prompt = "new AppSecret (开发资料, input hidden): "
	const newSecret = "fedcba9876543210fedcba9876543210"
	for _, s := range []struct{ wait, answer string }{
		{prompt, "tooshort"},
		{"✗ appsecret must be 32 characters, got 8; try again\n" + prompt, newSecret},
	} {
		waitFor(t, 5*time.Second, "the prompt", func() bool { return strings.HasSuffix(up.err.String(), s.wait) && echoOff(t, slave) })
		if _, err := master.WriteString(s.answer + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if code := up.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, up.err.String())
	}
	if !strings.Contains(up.out.String(), "appsecret  7c1e9a…(32 chars)  →  fedcba…(32 chars)") {
		t.Errorf("output:\n%s", up.out.String())
	}
	if strings.Contains(screen.String()+up.out.String()+up.err.String(), newSecret) {
		t.Error("the new AppSecret was shown")
	}
	var p map[string]any
	wxJSON(t, db, &p, "platform", "show", "--reveal")
	if p["appsecret"] != newSecret || p["token"] != sandboxToken {
		t.Errorf("stored %v", p)
	}
}
