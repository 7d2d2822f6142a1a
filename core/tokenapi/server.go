// Package tokenapi is the token service (中控) other programs read tokens from: per-client keys
// with scopes, `/v1/token/…` served from memory (the engine's token feed), a report-invalid
// endpoint that re-mints only a still-current token, health and Prometheus metrics. It depends
// on the engine (core/flow) only: the engine renews, classifies failures and keeps the clients.
package tokenapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"wxauth/core/flow"
)

// Limits on what a request may carry: the API's requests are tiny.
const (
	MaxBodyBytes   = 4 << 10
	MaxHeaderBytes = 8 << 10
	// DefaultMinValid is how long a token handed out lives at least, unless ?min_valid= says otherwise.
	DefaultMinValid = 300 * time.Second
)

// Config is what a Server is built from. Engine is required.
type Config struct {
	Engine *flow.Engine
	Logger *slog.Logger
	// FeedPoll and ClientPoll override how often the feed and the client list follow the store
	// (flow.FeedPoll and flow.ClientPoll when zero).
	FeedPoll, ClientPoll time.Duration
	// Feed, when set, is a token feed the caller runs and shares (serve's publishers follow
	// the same one); else the server runs its own.
	Feed *flow.TokenFeed
}

// Server is the token API of one process.
type Server struct {
	eng     *flow.Engine
	log     *slog.Logger
	feed    *flow.TokenFeed
	ownFeed bool // the server runs feed (else the caller does)
	clients *flow.ClientDirectory
	reg     *prometheus.Registry
	m       *metrics
	mux     *http.ServeMux

	mu    sync.RWMutex
	fresh map[flow.CredentialKey]flow.Credential // renewed here, newer than the feed has yet
}

// New builds a Server; Run starts following the store.
func New(cfg Config) *Server {
	s := &Server{eng: cfg.Engine, log: cfg.Logger, reg: prometheus.NewRegistry(), fresh: map[flow.CredentialKey]flow.Credential{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.feed, s.ownFeed = cfg.Feed, cfg.Feed == nil
	if s.ownFeed {
		s.feed = s.eng.NewTokenFeed(cfg.FeedPoll)
	}
	s.clients = s.eng.NewClientDirectory(cfg.ClientPoll)
	s.m = newMetrics(s)
	s.mux = s.routes()
	return s
}

// Run follows the store (tokens, clients) and the engine's events until ctx ends.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if s.ownFeed {
		wg.Go(func() { _ = s.feed.Run(ctx) })
	}
	wg.Go(func() {
		if err := s.clients.Run(ctx); err != nil {
			s.log.Warn("token service: recording client reads at shutdown failed", "err", err)
		}
	})
	wg.Go(func() { s.m.followEvents(ctx) })
	wg.Wait()
}

// Ready is closed once the tokens and the clients have been read once.
func (s *Server) Ready() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		<-s.feed.Ready()
		<-s.clients.Ready()
		close(done)
	}()
	return done
}

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Registry is the server's own metrics registry (never the global default one).
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/token/{appid}", s.authed(s.getToken))
	mux.HandleFunc("POST /v1/token/{appid}/invalid", s.authed(s.reportInvalid))
	mux.HandleFunc("GET /v1/authorizers", s.authed(s.listAuthorizers))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path,
			"the API serves GET /v1/token/component, GET /v1/token/{authorizer_appid}, POST /v1/token/{…}/invalid, GET /v1/authorizers, /healthz, /readyz, /metrics")
	})
	return mux
}

// credential returns the current credential: the feed's, or one renewed by this process that
// the feed has not caught up with yet.
func (s *Server) credential(key flow.CredentialKey) (flow.Credential, bool) {
	c, ok := s.feed.Get(key.ComponentAppID, key.AuthorizerAppID)
	s.mu.RLock()
	f, fok := s.fresh[key]
	s.mu.RUnlock()
	if fok && (!ok || f.ExpiresAt.After(c.ExpiresAt)) {
		return f, true
	}
	if fok {
		s.mu.Lock()
		delete(s.fresh, key) // the feed caught up
		s.mu.Unlock()
	}
	return c, ok
}

func (s *Server) remember(c flow.Credential) {
	s.mu.Lock()
	s.fresh[c.Key()] = c
	s.mu.Unlock()
}
