package wxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"wxauth/core/wxapi"
)

// controlError maps the Go API's errors to HTTP statuses.
func controlError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrPreAuthCode), errors.Is(err, ErrAccountNotAllowed):
		status = http.StatusBadRequest
	case errors.Is(err, ErrUnknownPlatform), errors.Is(err, ErrUnknownAccount), errors.Is(err, ErrNotAuthorized):
		status = http.StatusNotFound
	}
	writeControl(w, status, map[string]string{"error": err.Error()})
}

// writeControl answers the control API with indented JSON: it is read by people with curl.
func writeControl(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// readControl decodes a control request body strictly; an empty body is an empty object.
func readControl(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %w", ErrBadRequest, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return nil
}

type controlRoute struct {
	method string
	help   string
	handle func(w http.ResponseWriter, r *http.Request)
}

func (s *Sim) controlRoutes() map[string][]controlRoute {
	return map[string][]controlRoute{
		"/sim/authorize":   {{http.MethodPost, `{"component_appid","pre_auth_code","authorizer_appid","redirect_uri","category_id_list"}: approve as the merchant`, s.ctlAuthorize}},
		"/sim/unauthorize": {{http.MethodPost, `{"component_appid","authorizer_appid"}: revoke (sends the unauthorized push)`, s.ctlUnauthorize}},
		"/sim/push-ticket": {{http.MethodPost, `{"component_appid","rotate"}: push the ticket now; answers the ticket`, s.ctlPushTicket}},
		"/sim/clock": {
			{http.MethodGet, "virtual time", s.ctlClockGet},
			{http.MethodPost, `{"advance":"2h"}: move the virtual clock`, s.ctlClockPost},
		},
		"/sim/faults": {
			{http.MethodGet, "fault rules in force", s.ctlFaultsGet},
			{http.MethodPost, `{"path","error_rate","errcode","http_status","http_rate","latency","latency_rate","drop_rate","malformed_rate"}: add a fault rule`, s.ctlFaultsPost},
			{http.MethodDelete, "remove every fault rule", s.ctlFaultsDelete},
		},
		"/sim/stats":        {{http.MethodGet, "calls, tokens minted, pushes sent and failed", s.ctlStats}},
		"/sim/check-token":  {{http.MethodGet, "?access_token=…: is this token valid, whose, for how long", s.ctlCheckToken}},
		"/sim/platform":     {{http.MethodPost, `{"component_appid","event_url","auth_domain","ip_whitelist"}: change a platform`, s.ctlPlatform}},
		"/sim/world":        {{http.MethodGet, "the world served, secrets included", s.ctlWorld}},
		"/sim/release-test": {{http.MethodPost, `{"component_appid"}: play the 全网发布 test against the platform; answers each check item`, s.ctlReleaseTest}},
	}
}

func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	routes := s.controlRoutes()
	p := strings.TrimSuffix(r.URL.Path, "/")
	if p == "/sim" {
		help := map[string]string{}
		for path, rs := range routes {
			for _, rt := range rs {
				help[rt.method+" "+path] = rt.help
			}
		}
		writeControl(w, http.StatusOK, help)
		return
	}
	rs, ok := routes[p]
	if !ok {
		writeControl(w, http.StatusNotFound, map[string]string{"error": "no such control endpoint; GET /sim/ lists them"})
		return
	}
	var allow []string
	for _, rt := range rs {
		if rt.method == r.Method {
			rt.handle(w, r)
			return
		}
		allow = append(allow, rt.method)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeControl(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed; use " + strings.Join(allow, " or ")})
}

func (s *Sim) ctlAuthorize(w http.ResponseWriter, r *http.Request) {
	var req AuthorizeRequest
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	res, err := s.Authorize(r.Context(), req)
	if err != nil {
		controlError(w, err)
		return
	}
	writeControl(w, http.StatusOK, res)
}

func (s *Sim) ctlUnauthorize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ComponentAppID  string `json:"component_appid"`
		AuthorizerAppID string `json:"authorizer_appid"`
	}
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	if err := s.Unauthorize(r.Context(), req.ComponentAppID, req.AuthorizerAppID); err != nil {
		controlError(w, err)
		return
	}
	writeControl(w, http.StatusOK, map[string]any{"ok": true, "push": wxapi.InfoTypeUnauthorized})
}

// ctlPushTicket pushes synchronously and answers the ticket, so that someone with only curl
// (no event receiver) can still call api_component_token.
func (s *Sim) ctlPushTicket(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ComponentAppID string `json:"component_appid"`
		Rotate         bool   `json:"rotate"`
	}
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	id := s.defaultPlatform(req.ComponentAppID)
	err := s.PushTicket(r.Context(), id, req.Rotate)
	if errors.Is(err, ErrUnknownPlatform) {
		controlError(w, err)
		return
	}
	if err != nil && !errors.Is(err, ErrNoEventURL) && !errors.Is(err, ErrPushFailed) {
		controlError(w, err)
		return
	}
	if errors.Is(err, ErrNoEventURL) && req.Rotate {
		// Nothing was pushed, but the caller asked for a new ticket: rotate anyway.
		s.mu.Lock()
		s.newTicket(s.platforms[id], s.clock.Now())
		s.mu.Unlock()
	}
	out := struct {
		ComponentAppID        string `json:"component_appid"`
		ComponentVerifyTicket string `json:"component_verify_ticket"`
		Delivered             bool   `json:"delivered"`
		Error                 string `json:"error,omitempty"`
	}{ComponentAppID: id, ComponentVerifyTicket: s.CurrentTicket(id), Delivered: err == nil}
	if err != nil {
		out.Error = err.Error()
	}
	writeControl(w, http.StatusOK, out)
}

type clockResp struct {
	Now  time.Time `json:"now"`
	Unix int64     `json:"unix"`
}

func (s *Sim) clockResp() clockResp {
	now := s.Now().UTC()
	return clockResp{Now: now, Unix: now.Unix()}
}

func (s *Sim) ctlClockGet(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, s.clockResp())
}

func (s *Sim) ctlClockPost(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Advance Duration `json:"advance"`
	}
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	if req.Advance < 0 {
		controlError(w, fmt.Errorf("%w: advance: the virtual clock only moves forward", ErrBadRequest))
		return
	}
	s.Advance(req.Advance.D())
	writeControl(w, http.StatusOK, s.clockResp())
}

func (s *Sim) ctlFaultsGet(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, map[string]any{"faults": s.FaultRules()})
}

func (s *Sim) ctlFaultsPost(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := readControl(r, &f); err != nil {
		controlError(w, err)
		return
	}
	if err := f.Validate(); err != nil {
		controlError(w, fmt.Errorf("%w: %w", ErrBadRequest, err))
		return
	}
	s.SetFaults(f)
	writeControl(w, http.StatusOK, map[string]any{"faults": s.FaultRules()})
}

func (s *Sim) ctlFaultsDelete(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults()
	writeControl(w, http.StatusOK, map[string]any{"faults": []Faults{}})
}

func (s *Sim) ctlStats(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, s.Stats())
}

func (s *Sim) ctlCheckToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok := q.Get("access_token")
	if tok == "" {
		tok = q.Get("component_access_token")
	}
	writeControl(w, http.StatusOK, s.CheckToken(tok))
}

func (s *Sim) ctlPlatform(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ComponentAppID string   `json:"component_appid"`
		EventURL       *string  `json:"event_url"`
		AuthDomain     *string  `json:"auth_domain"`
		MessageURL     *string  `json:"message_url"`
		IPWhitelist    []string `json:"ip_whitelist"`
	}
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	id := s.defaultPlatform(req.ComponentAppID)
	if err := s.updatePlatform(id, req.EventURL, req.AuthDomain, req.IPWhitelist); err != nil {
		controlError(w, err)
		return
	}
	if req.MessageURL != nil {
		if err := s.setMessageURL(id, *req.MessageURL); err != nil {
			controlError(w, err)
			return
		}
	}
	for _, p := range s.World().Platforms {
		if p.ComponentAppID == id {
			writeControl(w, http.StatusOK, map[string]any{
				"component_appid": p.ComponentAppID, "event_url": p.EventURL,
				"auth_domain": p.AuthDomain, "ip_whitelist": p.IPWhitelist, "message_url": messageURL(p),
			})
			return
		}
	}
}

func (s *Sim) ctlWorld(w http.ResponseWriter, r *http.Request) {
	writeControl(w, http.StatusOK, s.World())
}

func (s *Sim) ctlReleaseTest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ComponentAppID string `json:"component_appid"`
	}
	if err := readControl(r, &req); err != nil {
		controlError(w, err)
		return
	}
	rep, err := s.ReleaseTest(r.Context(), req.ComponentAppID)
	if err != nil {
		controlError(w, err)
		return
	}
	writeControl(w, http.StatusOK, rep)
}
