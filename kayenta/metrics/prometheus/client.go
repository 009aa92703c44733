package prometheus

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/ctlproject/ctl/kayenta/metrics"
)

// Defaults, as in Kayenta.
const (
	// DefaultTimeout bounds one HTTP call (OkHttp's read timeout in Kayenta is 30 s).
	DefaultTimeout = 30 * time.Second
	// DefaultAttempts is kayenta.metrics.retry.attempts.
	DefaultAttempts = 10
	// DefaultBackoffBase is kayenta.metrics.retry.backoffPeriodMultiplierMs.
	DefaultBackoffBase = time.Second
	// DefaultMetadataCacheTTL is kayenta.prometheus.metadataCachingIntervalMS.
	DefaultMetadataCacheTTL = 60 * time.Second
)

// Options configure a Prometheus account (kayenta.prometheus.accounts[]).
type Options struct {
	// Name is the account name; errors name it.
	Name string
	// BaseURL is endpoint.baseUrl, e.g. http://localhost:9090 (a path prefix
	// such as http://host/prometheus is kept).
	BaseURL string
	// Username and Password enable basic auth; both must be set.
	Username, Password string
	// UsernamePasswordFile is a file holding "user:password" (surrounding
	// whitespace trimmed), read once by New; used when Username is empty.
	UsernamePasswordFile string
	// BearerToken is sent as "Authorization: Bearer <token>" when no basic
	// auth is configured.
	BearerToken string
	// ScopeLabel is the label gce_instance scopes match (default "instance").
	ScopeLabel string
	// Timeout bounds every HTTP call, including reading the body (default 30s).
	Timeout time.Duration
	// Retries is the maximum number of attempts of one call in total, as
	// kayenta.metrics.retry.attempts (default 10; 1 disables retrying). Only
	// network errors, timeouts and HTTP 5xx, 408 and 429 are retried.
	Retries int
	// BackoffBase is the wait after the first failed attempt; the wait after
	// attempt n is 2^(n-1)·BackoffBase (default 1s, as Kayenta).
	BackoffBase time.Duration
	// MetadataCacheTTL is how long MetricNames reuses the metric name list
	// (kayenta.prometheus.metadataCachingIntervalMS, default 60s).
	MetadataCacheTTL time.Duration
	// HTTPClient is the client to use (default: one on http.DefaultTransport).
	// Its Transport is wrapped to add the credentials.
	HTTPClient *http.Client
	// Now is the clock for the metadata cache (default time.Now).
	Now func() time.Time
	// Logger receives retry and cache warnings (default: discarded).
	Logger *slog.Logger
}

// Client is a Prometheus metrics account. It implements metrics.Source and
// is safe for concurrent use.
type Client struct {
	name        string
	scopeLabel  string
	timeout     time.Duration
	attempts    int
	backoffBase time.Duration
	cacheTTL    time.Duration
	now         func() time.Time
	log         *slog.Logger
	api         api.Client

	metaMu      sync.Mutex
	metaNames   []string
	metaFetched time.Time
	metaValid   bool
}

var _ metrics.Source = (*Client)(nil)

// New checks o and returns a client. It reads UsernamePasswordFile now, as
// Kayenta does when it registers the account.
func New(o Options) (*Client, error) {
	name := o.Name
	if name == "" {
		name = "prometheus"
	}
	fail := func(format string, args ...any) (*Client, error) {
		return nil, fmt.Errorf("prometheus account %q: %s", name, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("baseUrl %q is not an http(s) URL", o.BaseURL)
	}
	auth := ""
	switch {
	case o.Username != "" || o.Password != "":
		if o.Username == "" || o.Password == "" {
			return fail("basic auth needs both username and password")
		}
		auth = basicAuth(o.Username + ":" + o.Password)
	case o.UsernamePasswordFile != "":
		b, err := os.ReadFile(o.UsernamePasswordFile)
		if err != nil {
			return fail("usernamePasswordFile: %v", err)
		}
		cred := strings.TrimSpace(string(b))
		if !strings.Contains(cred, ":") {
			return fail("usernamePasswordFile %s must hold user:password", o.UsernamePasswordFile)
		}
		auth = basicAuth(cred)
	case o.BearerToken != "":
		auth = "Bearer " + o.BearerToken
	}

	hc := http.Client{}
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &authTransport{base: base, host: u.Host, header: auth}
	ac, err := api.NewClient(api.Config{Address: o.BaseURL, Client: &hc})
	if err != nil {
		return fail("%v", err)
	}

	c := &Client{
		name:        name,
		scopeLabel:  o.ScopeLabel,
		timeout:     o.Timeout,
		attempts:    o.Retries,
		backoffBase: o.BackoffBase,
		cacheTTL:    o.MetadataCacheTTL,
		now:         o.Now,
		log:         o.Logger,
		api:         ac,
	}
	if c.scopeLabel == "" {
		c.scopeLabel = DefaultScopeLabel
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.attempts <= 0 {
		c.attempts = DefaultAttempts
	}
	if c.backoffBase <= 0 {
		c.backoffBase = DefaultBackoffBase
	}
	if c.cacheTTL <= 0 {
		c.cacheTTL = DefaultMetadataCacheTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

// Name returns the account name.
func (c *Client) Name() string { return c.name }

// DryRun returns the PromQL that Fetch would run for q (the dryRun of
// /fetch/prometheus/query), without contacting Prometheus.
func (c *Client) DryRun(q metrics.Query) (string, error) {
	qc, err := ParseQueryConfig(q.QueryConfig)
	if err != nil {
		return "", err
	}
	return BuildQuery(qc, q.Templates, q.Scope, c.scopeLabel)
}

// Fetch runs q's range query over the scope's [start, end] at its step and
// returns one MetricSet per series (see the package documentation for the
// conversion and gap-filling). Request errors (bad config, template, scope)
// are *metrics.ArgumentError; failures talking to Prometheus are *QueryError.
func (c *Client) Fetch(ctx context.Context, q metrics.Query) ([]metrics.MetricSet, error) {
	s := q.Scope
	switch {
	case s.Start.IsZero():
		return nil, metrics.Argumentf("Start time is required.")
	case s.End.IsZero():
		return nil, metrics.Argumentf("End time is required.")
	case s.Step <= 0:
		return nil, metrics.Argumentf("Step must be a positive number of seconds, got %d.", s.Step)
	case s.End.Before(s.Start):
		return nil, metrics.Argumentf("End time %s is before start time %s.", metrics.FormatInstant(s.End), metrics.FormatInstant(s.Start))
	}
	promql, err := c.DryRun(q)
	if err != nil {
		return nil, err
	}
	// Prometheus resolves times to the millisecond; send exactly the grid we fill.
	r := v1.Range{
		Start: time.UnixMilli(s.Start.UnixMilli()),
		End:   time.UnixMilli(s.End.UnixMilli()),
		Step:  s.StepDuration(),
	}
	var sets []metrics.MetricSet
	err = c.call(ctx, "query_range", promql, func(ctx context.Context, papi v1.API) error {
		val, warnings, _, err := papi.QueryRange(ctx, promql, r)
		if err != nil {
			return err
		}
		if len(warnings) > 0 {
			c.log.Warn("prometheus query warnings", "account", c.name, "query", promql, "warnings", warnings)
		}
		sets, err = toMetricSets(q.MetricName, promql, val, s)
		if err != nil {
			return &badResponseError{err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sets, nil
}

// basicAuth returns the Authorization header value for "user:password".
func basicAuth(cred string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
}

// authTransport adds the account's Authorization header to requests for its
// own host (not to redirects elsewhere).
type authTransport struct {
	base   http.RoundTripper
	host   string
	header string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.header == "" || req.URL.Host != t.host {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.header)
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes the transport's idle connections.
func (t *authTransport) CloseIdleConnections() {
	type closeIdler interface{ CloseIdleConnections() }
	if ci, ok := t.base.(closeIdler); ok {
		ci.CloseIdleConnections()
	}
}
