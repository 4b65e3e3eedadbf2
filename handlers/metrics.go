package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the HTTP server's Prometheus metrics: requests and their
// latency per route (the route's pattern, never the raw path: ids would
// make every order its own series) and status.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	series   sync.Map // seriesKey → series: a vector's lookup hashes and checks its labels on every request
	count    atomic.Int64
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// maxCachedSeries bounds the series kept at hand (a client can send any
// method); past it a request's series is looked up in the vectors.
const maxCachedSeries = 10000

// NewMetrics registers the HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kasse_http_requests_total", Help: "HTTP requests answered, per method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kasse_http_request_duration_seconds", Help: "Time to answer an HTTP request, per method, route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// middleware counts and times every request.
func (m *Metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		s := m.seriesOf(seriesKey{c.Request.Method, route, c.Writer.Status()})
		s.requests.Inc()
		s.latency.Observe(time.Since(start).Seconds())
	}
}

func (m *Metrics) seriesOf(k seriesKey) series {
	if s, ok := m.series.Load(k); ok {
		return s.(series)
	}
	status := strconv.Itoa(k.status)
	s := series{requests: m.requests.WithLabelValues(k.method, k.route, status), latency: m.latency.WithLabelValues(k.method, k.route, status)}
	if m.count.Load() < maxCachedSeries {
		if _, loaded := m.series.LoadOrStore(k, s); !loaded {
			m.count.Add(1)
		}
	}
	return s
}

// MetricsHandler serves GET /metrics in Prometheus's text format, for a
// listener of its own (never the public API's).
func MetricsHandler(gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}
