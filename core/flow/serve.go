package flow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"wxauth/core/callback"
)

// unknownSessionText is in the launch page's answer to a session it does not know; the doctor
// looks for it to tell our listener from another server.
const unknownSessionText = "this authorization link is unknown, used or expired"

// Listener returns the HTTP handler WeChat and browsers reach, for every platform of the
// database (pushes are routed by their AppId).
func (e *Engine) Listener() http.Handler {
	return callback.New(callback.Config{
		Crypter:  e.CrypterFor,
		Crypters: e.Crypters,
		Message:  e.HandleMessage,
		Push:     e.HandlePush,
		Reject:   e.RejectPush,
		Launch: func(ctx context.Context, id string) (string, string, error) {
			s, err := e.loadSession(ctx, id)
			if err != nil || s.State != SessionPending || s.PCLink == "" {
				return "", "", errors.New(unknownSessionText + "; start a new authorization in wxauth")
			}
			if e.clock.Now().After(s.PreAuthExpiresAt) {
				return "", "", errors.New("this authorization link expired (pre_auth_code lifetime); start a new authorization in wxauth")
			}
			return s.PCLink, s.MobileLink, nil
		},
		Capture: func(ctx context.Context, id, code string) (string, error) {
			a, err := e.CaptureCode(ctx, id, code, SourceRedirect)
			if err != nil {
				return "", err
			}
			return a.DisplayName(), nil
		},
		Logger: e.log,
	})
}

// ListenError says why the listener could not bind an address. Busy: something listens there
// already (another wxauth serve or console, most likely); the console retries those.
type ListenError struct {
	Addr string
	Busy bool
	Err  error
}

func (e *ListenError) Error() string {
	if e.Busy {
		return "listener cannot bind " + e.Addr + ": the address is in use (another wxauth serve or console may be listening there; use --listen to pick another address)"
	}
	return fmt.Sprintf("listener cannot bind %s: %v", e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// AddrBusy reports whether err says the listen address is taken by another process.
func AddrBusy(err error) bool {
	var le *ListenError
	return errors.As(err, &le) && le.Busy
}

// CheckListenAddr checks that addr is host:port with a numeric port, as a *UserError.
func CheckListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return &UserError{Msg: fmt.Sprintf("the listen address %q is malformed: it must be host:port", addr),
			Remedy: "give one like 127.0.0.1:8765 (loopback) or 0.0.0.0:8765 (every interface)"}
	}
	return nil
}

// Listen binds addr and serves the listener until ctx ends. It returns once bound, with the
// address actually bound (addr may use port 0), and a channel that yields the serve error.
func (e *Engine) Listen(ctx context.Context, addr string) (net.Addr, <-chan error, error) {
	if err := e.LoadCrypters(ctx); err != nil {
		return nil, nil, err
	}
	if err := CheckListenAddr(addr); err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, &ListenError{Addr: addr, Busy: addrInUse(err), Err: err}
	}
	srv := callback.NewHTTPServer(e.Listener())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// done yields only after in-flight requests have finished, so a caller that waits for it
	// may close the database safely.
	done := make(chan error, 1)
	go func() {
		var err error
		select {
		case err = <-served:
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = srv.Shutdown(sctx)
			if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
				err = serr
			}
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	return ln.Addr(), done, nil
}
