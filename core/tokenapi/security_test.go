package tokenapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxauth/core/flow"
	"wxauth/core/tokenapi"
	"wxauth/tokenclient"
)

// TestKeyRotationAndRemoval: a rotated key is refused (this process reloads on the engine's
// event, other processes within flow.ClientPoll), the new one works; a removed client's key
// is refused.
func TestKeyRotationAndRemoval(t *testing.T) {
	e := newEnv(t)
	_, oldKey := e.client(t, flow.ClientSpec{Name: "svc"})
	_, newKey, err := e.sb.Engine.RotateClient(e.ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if newKey == oldKey || !strings.HasPrefix(newKey, flow.ClientKeyPrefix) || len(newKey) < len(flow.ClientKeyPrefix)+43 {
		t.Fatalf("new key %.6s… (len %d)", newKey, len(newKey))
	}
	waitFor(t, "the old key to be refused", func() bool {
		return e.status(t, "GET", "/v1/token/"+e.a, oldKey, nil) == http.StatusUnauthorized
	})
	if code := e.status(t, "GET", "/v1/token/"+e.a, newKey, nil); code != http.StatusOK {
		t.Fatalf("the new key: HTTP %d", code)
	}
	if err := e.sb.Engine.RemoveClient(e.ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed client's key to be refused", func() bool {
		return e.status(t, "GET", "/v1/token/"+e.a, newKey, nil) == http.StatusUnauthorized
	})
}

// TestKeysNeverShown: keys (and tokens) appear in no log line, list, event or metric; a client's
// reads are counted and written in batches.
func TestKeysNeverShown(t *testing.T) {
	e := newEnv(t)
	c, key := e.client(t, flow.ClientSpec{Name: "svc", Component: true})
	tok, err := c.Authorizer(e.ctx, e.a)
	if err != nil {
		t.Fatal(err)
	}
	e.sb.Sim.Advance(time.Minute)
	if _, err := c.Invalid(e.ctx, e.a, tok); err != nil {
		t.Fatal(err)
	}
	_, _ = tokenclient.New(e.url, key+"x").Get(e.ctx, e.a) // a wrong key is not logged either
	_, rotated, err := e.sb.Engine.RotateClient(e.ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	_, metrics := e.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{`wxauth_tokenapi_requests_total{client="svc",result="ok"}`, "wxauth_token_expiry_seconds{", "wxauth_lease_held{", "wxauth_refreshes_total{credential=\"authorizer\",result=\"ok\"}", "wxauth_tokenapi_reminted_total 1", "wxauth_wechat_calls_today{"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	list, err := e.sb.Engine.Clients(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.sb.Engine.Events(e.ctx, e.comp, 100)
	if err != nil {
		t.Fatal(err)
	}
	var evText strings.Builder
	for _, ev := range evs {
		evText.WriteString(ev.Text() + "\n")
	}
	stored := e.stored(t, e.a)
	secrets := []string{key, rotated, key[len(flow.ClientKeyPrefix):], tok, stored.AccessToken, stored.RefreshToken}
	mustNotContain(t, "the log", e.log.String(), secrets...)
	mustNotContain(t, "/metrics", metrics, secrets...)
	mustNotContain(t, "the events", evText.String(), secrets...)
	mustNotContain(t, "the client list", fmt.Sprintf("%+v", list), secrets...)
	_, body := e.do(t, "GET", "/readyz", "", nil)
	mustNotContain(t, "/readyz", body, secrets...)
	// Reads reach the store in batches (every few seconds), not one write per request.
	waitFor(t, "the reads to be recorded", func() bool {
		list, err := e.sb.Engine.Clients(e.ctx)
		return err == nil && len(list) == 1 && list[0].ReadsToday >= 3 && !list[0].LastUsedAt.IsZero()
	})
}

// TestLimits: bodies over 4 KiB are 413, headers over 8 KiB 431; unknown paths 404 in JSON.
func TestLimits(t *testing.T) {
	e := newEnv(t)
	_, key := e.client(t, flow.ClientSpec{Name: "svc"})
	big := []byte(`{"token":"` + strings.Repeat("a", 5000) + `"}`)
	if code, body := e.do(t, "POST", "/v1/token/"+e.a+"/invalid", key, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 KB body: %d %s", code, body)
	}
	req, _ := http.NewRequestWithContext(e.ctx, "GET", e.url+"/v1/token/"+e.a, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Padding", strings.Repeat("p", 20<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("20 KB header: HTTP %d", resp.StatusCode)
	}
	if code, body := e.do(t, "GET", "/v2/nothing", key, nil); code != http.StatusNotFound || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("unknown path: %d %s", code, body)
	}
}

// TestHealth: /healthz answers; /readyz gives each platform's state.
func TestHealth(t *testing.T) {
	e := newEnv(t)
	if code, body := e.do(t, "GET", "/healthz", "", nil); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	code, body := e.do(t, "GET", "/readyz", "", nil)
	if code != 200 || !strings.Contains(body, `"component_appid":"`+e.comp+`"`) || !strings.Contains(body, `"state":"Authorized"`) {
		t.Fatalf("/readyz: %d %s", code, body)
	}
}

// TestListenRefusesPlaintextOnTheNetwork: a non-loopback address needs TLS or
// --api-allow-plaintext; with TLS the API serves HTTPS.
func TestListenRefusesPlaintextOnTheNetwork(t *testing.T) {
	for _, tc := range []struct {
		o  tokenapi.ListenOptions
		ok bool
	}{
		{tokenapi.ListenOptions{Addr: "127.0.0.1:8766"}, true},
		{tokenapi.ListenOptions{Addr: "[::1]:8766"}, true},
		{tokenapi.ListenOptions{Addr: "localhost:8766"}, true},
		{tokenapi.ListenOptions{Addr: "0.0.0.0:8766"}, false},
		{tokenapi.ListenOptions{Addr: ":8766"}, false},
		{tokenapi.ListenOptions{Addr: "192.168.1.5:8766"}, false},
		{tokenapi.ListenOptions{Addr: "0.0.0.0:8766", AllowPlaintext: true}, true},
		{tokenapi.ListenOptions{Addr: "0.0.0.0:8766", TLSCert: "c.pem", TLSKey: "k.pem"}, true},
		{tokenapi.ListenOptions{Addr: "0.0.0.0:8766", TLSCert: "c.pem"}, false},
		{tokenapi.ListenOptions{Addr: "8766"}, false},
	} {
		if err := tokenapi.CheckListen(tc.o); (err == nil) != tc.ok {
			t.Errorf("%+v: err = %v", tc.o, err)
		}
	}
	e := newEnv(t)
	srv := tokenapi.New(tokenapi.Config{Engine: e.sb.Engine})
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	if _, _, err := srv.Listen(ctx, tokenapi.ListenOptions{Addr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "--api-tls-cert") {
		t.Fatalf("plain HTTP on 0.0.0.0: err = %v", err)
	}
	cert, keyFile, pool := selfSigned(t)
	go srv.Run(ctx)
	addr, _, err := srv.Listen(ctx, tokenapi.ListenOptions{Addr: "0.0.0.0:0", TLSCert: cert, TLSKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Ready()
	_, key := e.client(t, flow.ClientSpec{Name: "tls"})
	_, port, _ := net.SplitHostPort(addr)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var got string
	waitFor(t, "the TLS server to know the client", func() bool {
		got, err = tokenclient.New("https://127.0.0.1:"+port, key, tokenclient.WithHTTPClient(hc)).Authorizer(e.ctx, e.a)
		return err == nil
	})
	if got != e.stored(t, e.a).AccessToken {
		t.Fatal("wrong token over TLS")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths and a pool
// trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wxauth test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	var cb, kpem bytes.Buffer
	_ = pem.Encode(&cb, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&kpem, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	if err := os.WriteFile(certFile, cb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, kpem.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}
