package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wxauth/cli"
)

// vector is one entry of testdata/vectors/wxcrypt.json.
type vector struct {
	Name         string `json:"name"`
	Token        string `json:"token"`
	AESKey       string `json:"aes_key"`
	AppID        string `json:"appid"`
	Random       string `json:"random"`
	Timestamp    string `json:"timestamp"`
	Nonce        string `json:"nonce"`
	Msg          string `json:"msg"`
	Encrypt      string `json:"encrypt"`
	MsgSignature string `json:"msg_signature"`
	Signature    string `json:"signature"`
}

func vectorsPath(name string) string { return filepath.Join("..", "testdata", "vectors", name) }

func loadVectors(t *testing.T) map[string]vector {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath("wxcrypt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []vector
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	m := make(map[string]vector, len(list))
	for _, v := range list {
		m[v.Name] = v
	}
	return m
}

func readVector(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(vectorsPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// run executes wxauth with args and stdin and returns the exit code and both streams.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPushDecrypt(t *testing.T) {
	vs := loadVectors(t)
	v1, v2, e := vs["V1"], vs["V2"], vs["E"]
	keys := func(v vector) []string { return []string{"--token", v.Token, "--aes-key", v.AESKey} }
	signed := func(v vector) []string {
		return []string{"--msg-signature", v.MsgSignature, "--timestamp", v.Timestamp, "--nonce", v.Nonce}
	}
	cat := func(parts ...[]string) []string {
		var all []string
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	otherKey := strings.Repeat("B", 43)
	cases := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string // exact, when wantCode is 0
		wantStderr string // exact when wantCode is 0, else a substring
	}{
		{
			name:     "V1 body file, signature verified, appid checked",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{"--appid", v1.AppID}, signed(v1), []string{vectorsPath("v1_push.xml")}),
			wantCode: 0, wantStdout: readVector(t, "v1_inner.xml"), wantStderr: "",
		},
		{
			name:     "V2 body on stdin via -, pad 22",
			args:     cat([]string{"push", "decrypt"}, keys(v2), []string{"--appid", v2.AppID}, signed(v2), []string{"-"}),
			stdin:    readVector(t, "v2_push.xml"),
			wantCode: 0, wantStdout: readVector(t, "v2_inner.xml"), wantStderr: "",
		},
		{
			name:     "bare Encrypt on stdin reports the appid",
			args:     cat([]string{"push", "decrypt"}, keys(v1)),
			stdin:    v1.Encrypt + "\n",
			wantCode: 0, wantStdout: v1.Msg,
			wantStderr: "appid: wx134c8103faa5a59e (not checked; pass --appid to check it)\n",
		},
		{
			name:     "official vector E, bare Encrypt with its msg_signature",
			args:     cat([]string{"push", "decrypt"}, keys(e), []string{"--appid", e.AppID}, signed(e)),
			stdin:    e.Encrypt,
			wantCode: 0, wantStdout: e.Msg, wantStderr: "",
		},
		{
			name:     "wrong token",
			args:     cat([]string{"push", "decrypt", "--token", "AAAAB", "--aes-key", v1.AESKey}, signed(v1), []string{vectorsPath("v1_push.xml")}),
			wantCode: 3, wantStderr: "-40001 ValidateSignature_Error",
		},
		{
			name:     "plain signature given as msg_signature",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{"--msg-signature", v1.Signature, "--timestamp", v1.Timestamp, "--nonce", v1.Nonce, vectorsPath("v1_push.xml")}),
			wantCode: 3, wantStderr: "not `msg_signature`",
		},
		{
			name:     "wrong key",
			args:     []string{"push", "decrypt", "--token", v1.Token, "--aes-key", otherKey, vectorsPath("v1_push.xml")},
			wantCode: 3, wantStderr: "-40007 DecryptAES_Error",
		},
		{
			name:     "malformed key",
			args:     []string{"push", "decrypt", "--token", v1.Token, "--aes-key", "short", vectorsPath("v1_push.xml")},
			wantCode: 2, wantStderr: "--aes-key: -40004 IllegalAesKey",
		},
		{
			name:     "wrong appid",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{"--appid", "wx0000000000000000", vectorsPath("v1_push.xml")}),
			wantCode: 3, wantStderr: "-40005 ValidateAppid_Error",
		},
		{
			name:     "body that is not a push",
			args:     cat([]string{"push", "decrypt"}, keys(v1)),
			stdin:    "<html>not a push</html>",
			wantCode: 3, wantStderr: "-40002 ParseXml_Error",
		},
		{
			name:     "empty input",
			args:     cat([]string{"push", "decrypt"}, keys(v1)),
			stdin:    " \n",
			wantCode: 2, wantStderr: "no input",
		},
		{
			name:     "Encrypt mangled by URL decoding",
			args:     cat([]string{"push", "decrypt"}, keys(v1)),
			stdin:    strings.ReplaceAll(v1.Encrypt, "+", " "),
			wantCode: 3, wantStderr: "-40010 DecodeBase64_Error",
		},
		{
			name:     "--msg-signature without --timestamp",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{"--msg-signature", v1.MsgSignature, "--nonce", v1.Nonce, vectorsPath("v1_push.xml")}),
			wantCode: 2, wantStderr: "--msg-signature needs --timestamp and --nonce",
		},
		{
			name:     "missing --token",
			args:     []string{"push", "decrypt", "--aes-key", v1.AESKey, vectorsPath("v1_push.xml")},
			wantCode: 2, wantStderr: "the Token is required: --token or $WXAUTH_TOKEN",
		},
		{
			name:     "missing input file",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{filepath.Join(t.TempDir(), "absent.xml")}),
			wantCode: 1, wantStderr: "absent.xml",
		},
		{
			name:     "two files",
			args:     cat([]string{"push", "decrypt"}, keys(v1), []string{"a.xml", "b.xml"}),
			wantCode: 2, wantStderr: "accepts at most 1 arg",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			if tc.wantCode == 0 {
				if stdout != tc.wantStdout {
					t.Errorf("stdout =\n%q\nwant\n%q", stdout, tc.wantStdout)
				}
				if stderr != tc.wantStderr {
					t.Errorf("stderr = %q, want %q", stderr, tc.wantStderr)
				}
				return
			}
			if stdout != "" {
				t.Errorf("failure printed on stdout: %q", stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.wantStderr)
			}
		})
	}
}

func TestPushEncrypt(t *testing.T) {
	vs := loadVectors(t)
	sealArgs := func(v vector) []string {
		return []string{"push", "encrypt", "--token", v.Token, "--aes-key", v.AESKey, "--appid", v.AppID,
			"--timestamp", v.Timestamp, "--nonce", v.Nonce, "--random", v.Random}
	}
	query := func(v vector) string {
		return "signature=" + v.Signature + "&timestamp=" + v.Timestamp + "&nonce=" + v.Nonce + "&encrypt_type=aes&msg_signature=" + v.MsgSignature
	}
	for _, tc := range []struct{ vector, inner, push string }{
		{"V1", "v1_inner.xml", "v1_push.xml"},
		{"V2", "v2_inner.xml", "v2_push.xml"},
	} {
		v := vs[tc.vector]
		t.Run(tc.vector+" text", func(t *testing.T) {
			code, stdout, stderr := run(t, "", append(sealArgs(v), vectorsPath(tc.inner))...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			// The body byte for byte as WeChat sends it, then the query string of the push URL.
			if want := readVector(t, tc.push) + "\n?" + query(v) + "\n"; stdout != want {
				t.Errorf("stdout =\n%s\nwant\n%s", stdout, want)
			}
		})
		t.Run(tc.vector+" json from stdin", func(t *testing.T) {
			code, stdout, stderr := run(t, readVector(t, tc.inner), append(sealArgs(v), "--json")...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not a JSON object of strings: %v\n%s", err, stdout)
			}
			want := map[string]string{
				"encrypt": v.Encrypt, "msg_signature": v.MsgSignature, "signature": v.Signature,
				"timestamp": v.Timestamp, "nonce": v.Nonce, "body": readVector(t, tc.push),
			}
			if len(got) != len(want) {
				t.Errorf("keys %v, want the six of %v", got, want)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
		})
	}

	v1 := vs["V1"]
	t.Run("round trip with crypto/rand", func(t *testing.T) {
		args := sealArgs(v1)
		args = append(args[:len(args)-2:len(args)-2], "--json") // drop --random
		code, stdout, _ := run(t, v1.Msg, args...)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		var p map[string]string
		json.Unmarshal([]byte(stdout), &p)
		if p["encrypt"] == v1.Encrypt {
			t.Error("without --random the output equals the fixed-random vector")
		}
		code, msg, stderr := run(t, p["body"], "push", "decrypt", "--token", v1.Token, "--aes-key", v1.AESKey, "--appid", v1.AppID,
			"--msg-signature", p["msg_signature"], "--timestamp", v1.Timestamp, "--nonce", v1.Nonce)
		if code != 0 || msg != v1.Msg || stderr != "" {
			t.Errorf("decrypting our own push: exit %d, msg %q, stderr %q", code, msg, stderr)
		}
	})

	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		inStderr string
	}{
		{"--random too short", []string{"--random", "1205899eaf019bb"}, 2, "--random must be exactly 16 ASCII characters, got 15"},
		{"--random too long", []string{"--random", "1205899eaf019bbdX"}, 2, "got 17"},
		{"--random empty", []string{"--random", ""}, 2, "got 0"},
		{"bad key", []string{"--aes-key", "AAAA"}, 2, "--aes-key: -40004 IllegalAesKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(sealArgs(v1), tc.args...)
			code, stdout, stderr := run(t, v1.Msg, args...)
			if code != tc.wantCode || stdout != "" || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.wantCode, stdout, stderr, tc.inStderr)
			}
		})
	}
	for _, missing := range []string{"--token", "--aes-key", "--appid", "--timestamp", "--nonce"} {
		t.Run("missing "+missing, func(t *testing.T) {
			var args []string
			all := sealArgs(v1)
			for i := 0; i < len(all); i++ {
				if all[i] == missing {
					i++ // skip the value too
					continue
				}
				args = append(args, all[i])
			}
			code, _, stderr := run(t, v1.Msg, args...)
			if code != 2 || !strings.Contains(stderr, strings.TrimPrefix(missing, "--")) {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestPushDecryptKeysFromTheEnvironment: the Token and the key may come from
// $WXAUTH_TOKEN / $WXAUTH_AES_KEY, off the command line that ps shows.
func TestPushDecryptKeysFromTheEnvironment(t *testing.T) {
	v1 := loadVectors(t)["V1"]
	t.Setenv("WXAUTH_TOKEN", v1.Token)
	t.Setenv("WXAUTH_AES_KEY", v1.AESKey)
	code, out, errOut := run(t, "", "push", "decrypt", "--appid", v1.AppID, "--msg-signature", v1.MsgSignature,
		"--timestamp", v1.Timestamp, "--nonce", v1.Nonce, vectorsPath("v1_push.xml"))
	if code != 0 || out != readVector(t, "v1_inner.xml") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
