package publish

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the health of the sinks this process writes to Prometheus: serve
// registers it on the token service's /metrics. The labels are the sink's id and format,
// never its URL (it holds the Redis password).
func (p *Publisher) Collector() prometheus.Collector { return collector{p} }

type collector struct{ p *Publisher }

var (
	descUp = prometheus.NewDesc("wxauth_publish_connected",
		"1 when the sink's last Redis command succeeded.", []string{"sink", "format"}, nil)
	descLastWrite = prometheus.NewDesc("wxauth_publish_last_write_timestamp_seconds",
		"When the sink last wrote a key (Unix seconds; 0 before the first write).", []string{"sink", "format"}, nil)
	descLag = prometheus.NewDesc("wxauth_publish_lag_seconds",
		"Change noticed to key written, for the last write or the oldest still waiting.", []string{"sink", "format"}, nil)
	descPending = prometheus.NewDesc("wxauth_publish_pending",
		"Credentials waiting to be written to the sink.", []string{"sink", "format"}, nil)
	descKeys = prometheus.NewDesc("wxauth_publish_keys",
		"Keys the sink currently holds for wxauth.", []string{"sink", "format"}, nil)
	descSyncs = prometheus.NewDesc("wxauth_publish_full_syncs_total",
		"Full syncs completed (at start, after a failure, at each reconcile).", []string{"sink", "format"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descLastWrite, descLag, descPending, descKeys, descSyncs} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.p.Health() {
		labels := []string{strconv.FormatInt(h.SinkID, 10), string(h.Format)}
		up := 0.0
		if h.Connected {
			up = 1
		}
		last := 0.0
		if !h.LastWriteAt.IsZero() {
			last = float64(h.LastWriteAt.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, labels...)
		ch <- prometheus.MustNewConstMetric(descLastWrite, prometheus.GaugeValue, last, labels...)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, h.Lag.Seconds(), labels...)
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(h.Pending), labels...)
		ch <- prometheus.MustNewConstMetric(descKeys, prometheus.GaugeValue, float64(h.Keys), labels...)
		ch <- prometheus.MustNewConstMetric(descSyncs, prometheus.CounterValue, float64(h.Syncs), labels...)
	}
}
