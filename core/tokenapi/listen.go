package tokenapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where `wxauth serve` serves the API unless --api says otherwise.
const DefaultAddr = "127.0.0.1:8766"

// ListenOptions say where and how the API listens.
type ListenOptions struct {
	Addr           string
	TLSCert        string // both or neither
	TLSKey         string
	AllowPlaintext bool // serve plain HTTP on a non-loopback address anyway
}

// CheckListen refuses what would expose keys and tokens in clear on a network: a non-loopback
// address without TLS, unless AllowPlaintext says the network is trusted (a private link, a
// sidecar).
func CheckListen(o ListenOptions) error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT (e.g. %s): %w", o.Addr, DefaultAddr, err)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("give both --api-tls-cert and --api-tls-key, or neither")
	}
	if o.TLSCert != "" || o.AllowPlaintext || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("the token API would serve keys and tokens in plain HTTP on %s, which is not a loopback address; "+
		"give --api-tls-cert and --api-tls-key, or --api-allow-plaintext if the network is private, or bind 127.0.0.1", o.Addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen checks the options, binds the address and serves the API on it until ctx ends. It
// returns the bound address and a channel that yields the server's error (nil after a clean
// shutdown).
func (s *Server) Listen(ctx context.Context, o ListenOptions) (string, <-chan error, error) {
	if err := CheckListen(o); err != nil {
		return "", nil, err
	}
	var tlsCfg *tls.Config
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return "", nil, fmt.Errorf("loading the token API's TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return "", nil, fmt.Errorf("token API: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	srv := s.HTTPServer()
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), done, nil
}

// HTTPServer is an http.Server for the API with its limits: small headers, bounded read and
// idle times. Keep-alive stays on: clients poll.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // a renewal through the lease holder may take a while
		IdleTimeout:       2 * time.Minute,
	}
}

// Probe reports whether a token API answers /healthz at addr (plain HTTP on loopback: the
// console's header asks whether a serve on this machine serves it).
func Probe(ctx context.Context, hc *http.Client, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	return resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 1024)).Decode(&body) == nil && body.Status == "ok"
}
