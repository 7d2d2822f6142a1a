package tokenapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"wxauth/core/flow"
)

// metrics are the server's Prometheus series, in its own registry. Counters derived from the
// engine's events count what this process did; gauges read the feed and the store at scrape
// time. Labels carry appids, client names, API names and errcodes: never a token or a key.
type metrics struct {
	s          *Server
	requests   *prometheus.CounterVec
	reminted   prometheus.Counter
	refreshes  *prometheus.CounterVec
	wxErrors   *prometheus.CounterVec
	pushes     *prometheus.CounterVec
	expiryDesc *prometheus.Desc
	leaseDesc  *prometheus.Desc
	callsDesc  *prometheus.Desc
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		s: s,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wxauth_tokenapi_requests_total",
			Help: "Token-API requests by client and result (ok, or the error code answered)."}, []string{"client", "result"}),
		reminted: prometheus.NewCounter(prometheus.CounterOpts{Name: "wxauth_tokenapi_reminted_total",
			Help: "Tokens re-minted because a client reported them invalid."}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wxauth_refreshes_total",
			Help: "Token renewals by this process, by credential kind and result (ok, or the errcode)."}, []string{"credential", "result"}),
		wxErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wxauth_wechat_errors_total",
			Help: "WeChat API errors met by this process, by api and errcode."}, []string{"api", "errcode"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wxauth_pushes_total",
			Help: "WeChat pushes received by this process, by type and result."}, []string{"type", "result"}),
		expiryDesc: prometheus.NewDesc("wxauth_token_expiry_seconds",
			"Seconds until each credential's current token expires (negative: expired).", []string{"component_appid", "authorizer_appid"}, nil),
		leaseDesc: prometheus.NewDesc("wxauth_lease_held",
			"1 when this process holds the platform's refresh lease.", []string{"component_appid"}, nil),
		callsDesc: prometheus.NewDesc("wxauth_wechat_calls_today",
			"WeChat API calls today (China time, the quota day) by every process, by api.", []string{"component_appid", "api"}, nil),
	}
	s.reg.MustRegister(m.requests, m.reminted, m.refreshes, m.wxErrors, m.pushes, m,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Describe and Collect make metrics the collector of the gauges read at scrape time.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.expiryDesc
	ch <- m.leaseDesc
	ch <- m.callsDesc
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	now := m.s.eng.Now()
	for _, c := range m.s.feed.All() {
		ch <- prometheus.MustNewConstMetric(m.expiryDesc, prometheus.GaugeValue, c.ExpiresAt.Sub(now).Seconds(), c.ComponentAppID, c.AuthorizerAppID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ps, err := m.s.eng.Platforms(ctx)
	if err != nil {
		return
	}
	for _, p := range ps {
		if held, err := m.s.eng.HoldsLease(ctx, p.ComponentAppID); err == nil {
			v := 0.0
			if held {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(m.leaseDesc, prometheus.GaugeValue, v, p.ComponentAppID)
		}
		calls, err := m.s.eng.CallsToday(ctx, p.ComponentAppID)
		if err != nil {
			continue
		}
		for api, n := range calls {
			ch <- prometheus.MustNewConstMetric(m.callsDesc, prometheus.GaugeValue, float64(n), p.ComponentAppID, api)
		}
	}
}

// followEvents counts the engine's events until ctx ends.
func (m *metrics) followEvents(ctx context.Context) {
	events, stop := m.s.eng.Subscribe(256)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			m.count(ev)
		}
	}
}

// count files one event under the series it belongs to.
func (m *metrics) count(ev flow.Event) {
	api, _, _ := strings.Cut(ev.Message, ":")
	if !strings.HasPrefix(api, "api_") && !strings.Contains(api, "/") {
		api = ""
	}
	code := strconv.Itoa(ev.Code)
	if ev.Code != 0 && api != "" {
		m.wxErrors.WithLabelValues(api, code).Inc()
	}
	switch {
	case ev.Kind == flow.EventComponentToken:
		m.refreshes.WithLabelValues("component", "ok").Inc()
	case ev.Kind == flow.EventAuthorizerToken:
		m.refreshes.WithLabelValues("authorizer", "ok").Inc()
	case api == "api_component_token":
		m.refreshes.WithLabelValues("component", failure(ev)).Inc()
	case api == "api_authorizer_token":
		m.refreshes.WithLabelValues("authorizer", failure(ev)).Inc()
	case ev.Kind == flow.EventTicketReceived:
		m.pushes.WithLabelValues("component_verify_ticket", "accepted").Inc()
	case ev.Kind == flow.EventTicketIgnored:
		m.pushes.WithLabelValues("component_verify_ticket", "older_ignored").Inc()
	case ev.Kind == flow.EventPushRejected:
		m.pushes.WithLabelValues("unknown", "rejected").Inc()
	case ev.Kind == flow.EventPushUnknown:
		m.pushes.WithLabelValues("other", "ignored").Inc()
	case ev.Kind == flow.EventCodeCaptured:
		m.pushes.WithLabelValues("authorized", "accepted").Inc()
	}
}

func failure(ev flow.Event) string {
	if ev.Code != 0 {
		return strconv.Itoa(ev.Code)
	}
	return "error"
}
