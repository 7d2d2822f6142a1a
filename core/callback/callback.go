// Package callback is wxauth's HTTP listener, the part of wxauth WeChat and the merchant's
// browser talk to:
//
//	POST /wechat/events         the 授权事件接收URL: verify, decrypt, route by AppId, answer `success`
//	GET  /wechat/auth/start     the launch page on the registered domain (its link carries the Referer)
//	GET  /wechat/auth/callback  the redirect target: captures auth_code and shows the result
//	POST /wechat/messages/{appid} the 消息与事件接收URL (GET: its echo check)
//
// It knows nothing of storage or WeChat's API: the engine supplies the actions in Config.
package callback

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"wxauth/core/wxapi"
	"wxauth/core/wxcrypt"
)

// MaxPushBytes bounds a push body; real ones are well under 2 KiB.
const MaxPushBytes = 64 << 10

// Config is what the listener needs from the engine.
type Config struct {
	// Crypter returns the platform's crypter from memory (no database work for forged pushes).
	Crypter func(componentAppID string) (*wxcrypt.Crypter, bool)
	// Crypters lists every platform's crypter from memory: a message push is matched by the
	// platform whose Token verifies its signature.
	Crypters func() []*wxcrypt.Crypter
	// Message answers a verified, decrypted message sent to an authorizer's message URL.
	Message func(ctx context.Context, componentAppID, authorizerAppID string, plain []byte) (MessageReply, error)
	// Push acts on a verified push; it returns once the push's content is committed.
	Push func(ctx context.Context, componentAppID string, m wxapi.PushMessage) error
	// Reject reports a refused push.
	Reject func(ctx context.Context, componentAppID, reason string, code int)
	// Launch returns the PC and mobile authorization links of a pending session.
	Launch func(ctx context.Context, sessionID string) (pcLink, mobileLink string, err error)
	// Capture finishes a session with the code from the redirect and names the new authorizer.
	Capture func(ctx context.Context, sessionID, code string) (authorizer string, err error)
	Logger  *slog.Logger
	// Now is the listener's clock for the replay window and the rejection log budget; nil is
	// time.Now. It is real time on purpose: WeChat's retries happen in real seconds.
	Now func() time.Time
	// ReplayWindow is how long a stored push is remembered so that an exact replay is
	// acknowledged without being acted on again (default 10 min, negative disables).
	ReplayWindow time.Duration
}

// Server is the listener's HTTP handler.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	replays *replays
	rejects *rejectBudget
}

// New builds the handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Reject == nil {
		cfg.Reject = func(context.Context, string, string, int) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReplayWindow == 0 {
		cfg.ReplayWindow = DefaultReplayWindow
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), replays: newReplays(cfg.ReplayWindow, maxReplays),
		rejects: &rejectBudget{perSecond: rejectsLoggedPerSecond}}
	s.mux.HandleFunc("POST /wechat/events", s.events)
	s.mux.HandleFunc("GET /wechat/auth/start", s.start)
	s.mux.HandleFunc("GET /wechat/auth/callback", s.callback)
	s.mux.HandleFunc("POST /wechat/messages/{appid}", s.message)
	s.mux.HandleFunc("GET /wechat/messages/{appid}", s.messageEcho)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "wxauth listener: POST /wechat/events, GET /wechat/auth/start, GET /wechat/auth/callback, POST /wechat/messages/{appid}")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// NewHTTPServer wraps a handler with the timeouts and header limits a public listener needs.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      75 * time.Second, // the callback page waits for the code exchange (≤ 1 min)
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// events is the authorization-event URL. Every check that can fail on a forged or malformed
// push runs before anything touches the database.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reject := func(status int, appid, reason string, code int) {
		// A flood of forged pushes must not become a flood of log lines and console events:
		// a few per second are reported, the rest counted in the next report.
		if ok, suppressed := s.rejects.allow(s.cfg.Now()); ok {
			note := reason
			if suppressed > 0 {
				note = fmt.Sprintf("%s (and %d more rejected pushes not reported)", reason, suppressed)
			}
			s.cfg.Logger.Warn("push rejected", "reason", note, "component_appid", appid, "remote", remoteIP(r))
			s.cfg.Reject(ctx, appid, note, code)
		}
		http.Error(w, reason, status)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reject(http.StatusRequestEntityTooLarge, "", fmt.Sprintf("body larger than %d bytes", MaxPushBytes), 0)
			return
		}
		reject(http.StatusBadRequest, "", "reading body: "+err.Error(), 0)
		return
	}
	env, err := wxcrypt.ParseEnvelope(body)
	if err != nil {
		reject(http.StatusBadRequest, "", err.Error(), codeOf(err))
		return
	}
	c, ok := s.cfg.Crypter(env.AppID)
	if !ok {
		reject(http.StatusNotFound, env.AppID, "push for unknown platform "+strconv.Quote(env.AppID)+" (add it with `wxauth platform add`)", 0)
		return
	}
	q := wxcrypt.ParsePushQuery(r.URL.Query())
	plain, err := c.OpenEnvelope(q, env) // the envelope parsed above, not again
	if err != nil {
		reject(http.StatusForbidden, env.AppID, err.Error(), codeOf(err))
		return
	}
	m, err := wxapi.ParsePushMessage(plain)
	if err != nil {
		reject(http.StatusBadRequest, env.AppID, err.Error(), 0)
		return
	}
	if m.AppID != "" && m.AppID != env.AppID {
		reject(http.StatusBadRequest, env.AppID, "inner AppId "+m.AppID+" differs from the envelope's", 0)
		return
	}
	// An exact replay (same platform and msg_signature, which covers the timestamp, the nonce
	// and the ciphertext) of a push already stored is acknowledged without acting on it again:
	// WeChat may retry a push whose answer it did not see, and a captured push replayed by
	// someone else must not re-run its effect. Concurrent copies wait for the first one.
	key := env.AppID + "|" + q.MsgSignature
	first, done := s.replays.claim(ctx, key, s.cfg.Now())
	if !first {
		if done {
			s.cfg.Logger.Info("duplicate push acknowledged", "component_appid", env.AppID, "info_type", m.InfoType, "remote", remoteIP(r))
			s.success(w)
			return
		}
		// The request went away while the first copy was still being handled.
		http.Error(w, "push not stored: "+ctx.Err().Error(), http.StatusServiceUnavailable)
		return
	}
	stored := false
	// Deferred so that copies waiting for this one are released even if Push panics.
	defer func() { s.replays.finish(key, stored, s.cfg.Now()) }()
	if err := s.cfg.Push(ctx, env.AppID, m); err != nil {
		// Not `success`: WeChat will retry, and nothing was half-stored.
		s.cfg.Logger.Error("push not stored", "component_appid", env.AppID, "info_type", m.InfoType, "err", err)
		http.Error(w, "push not stored: "+err.Error(), http.StatusInternalServerError)
		return
	}
	stored = true
	s.success(w)
}

func (s *Server) success(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "success")
}

func codeOf(err error) int {
	var ce *wxcrypt.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Parsed on first use: only the commands that serve pages pay for it.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="origin"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}a.button{display:inline-block;padding:.6em 1.2em;background:#07c160;color:#fff;border-radius:6px;text-decoration:none}.err{color:#b00}</style></head><body>{{end}}
{{define "start"}}{{template "head" .}}<h1>Authorize this third-party platform</h1>
<p>Continue to WeChat and scan the QR code with the administrator's WeChat. This page exists because WeChat only accepts authorizations that start from the platform's registered domain.</p>
<p><a class="button" id="authorize" href="{{.PC}}">Continue to WeChat authorization</a></p>
<p>On a phone, inside WeChat: <a id="mobile" href="{{.Mobile}}">mobile authorization</a></p>
<script>setTimeout(function(){document.getElementById("authorize").click()},800)</script>
</body></html>{{end}}
{{define "result"}}{{template "head" .}}<h1>{{.Title}}</h1>{{if .Err}}<p class="err">{{.Err}}</p>{{else}}<p>{{.Msg}}</p>{{end}}
<p>You can close this page and return to wxauth.</p></body></html>{{end}}
`))
})

type pageData struct {
	Title, PC, Mobile, Msg, Err string
}

func (s *Server) render(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := pages().ExecuteTemplate(w, name, d); err != nil {
		s.cfg.Logger.Error("rendering page", "err", err)
	}
}

// start is the launch page. Its link to WeChat is followed from this page, so the browser sends
// the Referer (our registered domain) that WeChat checks.
func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	pc, mobile, err := s.cfg.Launch(r.Context(), r.URL.Query().Get("session"))
	if err != nil {
		s.render(w, http.StatusNotFound, "result", pageData{Title: "Authorization link not available", Err: err.Error()})
		return
	}
	s.render(w, http.StatusOK, "start", pageData{Title: "Authorize", PC: pc, Mobile: mobile})
}

// callback receives the browser after approval: ?session=…&auth_code=…&expires_in=3600.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code := q.Get("auth_code")
	if code == "" {
		s.render(w, http.StatusBadRequest, "result", pageData{Title: "No authorization code", Err: "this address has no auth_code: WeChat adds it after the merchant approves"})
		return
	}
	// The exchange must not depend on the browser staying connected.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
	defer cancel()
	who, err := s.cfg.Capture(ctx, q.Get("session"), code)
	if err != nil {
		s.render(w, http.StatusOK, "result", pageData{Title: "Authorization failed", Err: err.Error()})
		return
	}
	s.render(w, http.StatusOK, "result", pageData{Title: "Authorized", Msg: who + " is now authorized. wxauth has stored its tokens and will keep them fresh."})
}
