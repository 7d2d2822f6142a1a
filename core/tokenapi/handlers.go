package tokenapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"wxauth/core/flow"
)

// renewTimeout bounds a request that waits for a renewal (through the lease holder, possibly).
const renewTimeout = 40 * time.Second

type handler func(w http.ResponseWriter, r *http.Request, c flow.Client) string

// authed checks the key, then runs h with the client, counting the request by its result.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := bearer(r)
		if !ok {
			s.m.requests.WithLabelValues("", "unauthorized").Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "no API key: send Authorization: Bearer KEY",
				"create a key with `wxauth client add NAME` and send it in the Authorization header")
			return
		}
		c, ok := s.clients.Authenticate(key)
		if !ok {
			s.m.requests.WithLabelValues("", "unauthorized").Inc()
			writeError(w, http.StatusUnauthorized, "unauthorized", "unknown API key (rotated, removed, or mistyped)",
				"`wxauth client list` shows the clients; `wxauth client rotate NAME` prints a new key")
			return
		}
		result := h(w, r, c)
		s.m.requests.WithLabelValues(c.Name, result).Inc()
		s.clients.NoteRead(c.Name)
	}
}

// bearer is the key of "Authorization: Bearer KEY".
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// target resolves the credential a request names, inside the client's scope; "" as the second
// result when the scope does not cover it (or it does not exist: the answer is the same).
func target(r *http.Request, c flow.Client) (flow.CredentialKey, bool) {
	comp := r.URL.Query().Get("component_appid")
	if comp == "" {
		comp = c.ComponentAppID
	}
	appid := r.PathValue("appid")
	if appid == "component" {
		appid = ""
	}
	key := flow.CredentialKey{ComponentAppID: comp, AuthorizerAppID: appid}
	return key, c.MayRead(comp, appid)
}

func forbidden(w http.ResponseWriter, c flow.Client) string {
	writeError(w, http.StatusForbidden, "forbidden", "client "+c.Name+" may not read this token (or it does not exist)",
		"`wxauth client list` shows the client's scope; add a client with the scope it needs (`wxauth client add NAME --appid APPID`, `--component`)")
	return "forbidden"
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request, c flow.Client) string {
	key, ok := target(r, c)
	if !ok {
		return forbidden(w, c)
	}
	minValid := DefaultMinValid
	if v := r.URL.Query().Get("min_valid"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3600 {
			writeError(w, http.StatusBadRequest, "bad_request", "min_valid must be a number of seconds from 0 to 3600, got "+strconv.Quote(v),
				"omit it for the default (300), or ask for at most 3600 (half a token's 2 h life)")
			return "bad_request"
		}
		minValid = time.Duration(n) * time.Second
	}
	cred, ok := s.credential(key)
	if !ok || !s.eng.Servable(cred, s.eng.Now(), minValid) {
		ctx, cancel := context.WithTimeout(r.Context(), renewTimeout)
		defer cancel()
		var err error
		if cred, err = s.eng.TokenValidFor(ctx, key.ComponentAppID, key.AuthorizerAppID, minValid); err != nil {
			return s.tokenError(w, c, err)
		}
		s.remember(cred)
	}
	writeToken(w, cred, s.eng.Now(), nil)
	return "ok"
}

func (s *Server) reportInvalid(w http.ResponseWriter, r *http.Request, c flow.Client) string {
	key, ok := target(r, c)
	if !ok {
		return forbidden(w, c)
	}
	var body struct {
		Token string `json:"token"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Token == "" {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 4 KiB", "send only {\"token\":\"…\"}")
			return "too_large"
		}
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be JSON {\"token\":\"…\"} naming the token WeChat refused",
			"send the token your WeChat call used (errcode 40001, 40014 or 42001)")
		return "bad_request"
	}
	ctx, cancel := context.WithTimeout(r.Context(), renewTimeout)
	defer cancel()
	cred, reminted, err := s.eng.ReportInvalid(ctx, key.ComponentAppID, key.AuthorizerAppID, body.Token, c.Name)
	if err != nil {
		return s.tokenError(w, c, err)
	}
	if reminted {
		s.remember(cred)
		s.m.reminted.Inc()
	}
	writeToken(w, cred, s.eng.Now(), &reminted)
	return "ok"
}

// authorizerView is one entry of GET /v1/authorizers: no token.
type authorizerView struct {
	AuthorizerAppID string `json:"authorizer_appid"`
	ComponentAppID  string `json:"component_appid"`
	Status          string `json:"status"`
	ExpiresAt       string `json:"expires_at,omitempty"`
	ExpiresIn       int64  `json:"expires_in"`
}

func (s *Server) listAuthorizers(w http.ResponseWriter, r *http.Request, c flow.Client) string {
	now := s.eng.Now()
	out := []authorizerView{}
	for _, cred := range s.feed.All() {
		if cred.IsComponent() || !c.MayRead(cred.ComponentAppID, cred.AuthorizerAppID) {
			continue
		}
		v := authorizerView{AuthorizerAppID: cred.AuthorizerAppID, ComponentAppID: cred.ComponentAppID, Status: string(cred.Status)}
		if !cred.ExpiresAt.IsZero() {
			v.ExpiresAt = cred.ExpiresAt.UTC().Format(time.RFC3339)
			v.ExpiresIn = max(int64(cred.ExpiresAt.Sub(now)/time.Second), 0)
		}
		out = append(out, v)
	}
	sortViews(out)
	writeJSON(w, http.StatusOK, map[string]any{"authorizers": out})
	return "ok"
}

// tokenError answers with the status of the engine's classification of err.
func (s *Server) tokenError(w http.ResponseWriter, c flow.Client, err error) string {
	var te *flow.TokenError
	if !errors.As(err, &te) {
		s.log.Warn("token service: request failed", "client", c.Name, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the token could not be obtained: "+err.Error(), "retry shortly")
		return "unavailable"
	}
	status := http.StatusServiceUnavailable
	switch te.Kind {
	case flow.FailUnknown:
		return forbidden(w, c)
	case flow.FailNeedsReauth, flow.FailRevoked:
		status = http.StatusConflict
	case flow.FailRateLimited:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter/time.Second)+1))
	}
	writeError(w, status, string(te.Kind), te.Msg, te.Remedy)
	return string(te.Kind)
}
