// Package prometheus is Kayenta's Prometheus metrics provider
// (kayenta-prometheus): it turns a canary metric's Prometheus query config
// into PromQL, runs it as a range query over a canary scope and returns the
// series as metrics.MetricSets. Client implements metrics.Source.
//
// # Queries
//
// BuildQuery reproduces PrometheusMetricsService.buildQuery, including the
// custom filter templates (${var}, ${var:-default}, $${ escapes, as
// commons-text's StringSubstitutor expands them), the PromQL: prefix that
// passes a whole expression through (rate(), histogram_quantile(), …), the
// gce_instance / aws_ec2_instance filters and avg(…) by (…). Its errors carry
// Kayenta's messages and are *metrics.ArgumentError (HTTP 400 in Kayenta).
// Client.DryRun returns the PromQL without running it.
//
// # Fetching
//
// Client.Fetch sends POST {baseUrl}/api/v1/query_range with start and end
// from the scope (to the millisecond) and its step, through client_golang's
// v1 API (which falls back to GET where POST is refused). Credentials are basic
// auth (username/password, or usernamePasswordFile holding user:password) or a
// bearer token; they are only sent to the account's own host.
//
// Every HTTP call is bounded by Options.Timeout (30s). A call that fails with
// a network error, a timeout or HTTP 5xx, 408 or 429 is retried, up to
// Options.Retries attempts in all (10), waiting 2^(n−1)·Options.BackoffBase
// (1s) after the n-th failure, as Kayenta's SynchronousQueryProcessor does;
// other failures (4xx, an unreadable body, a result that is not a matrix) are
// returned at once. The caller's context bounds everything, backoff included.
// Failures are *QueryError, naming the account, the endpoint and the PromQL,
// with the HTTP status and, for bodies that are not Prometheus API JSON (an
// HTML login page, say), their Content-Type and first bytes.
//
// # Conversion, and gap-filling
//
// As in Kayenta, each series becomes a MetricSet named after the canary
// metric, tagged with its labels minus __name__, with attributes.query set to
// the PromQL; NaN and ±Inf samples are kept. An empty result becomes one
// MetricSet without tags or values spanning the scope.
//
// Kayenta concatenates the samples of a series, so a series with missing
// samples (a failed scrape, a rate() window without two samples) is shorter
// than the others and its values no longer line up in time with the other
// scope's. This package instead places every sample on the grid
// start + k·step and puts NaN where Prometheus returned no sample, so that
// Values[k] is the instant start + k·step in every series of both scopes and
// all series have (end − start)/step + 1 values (the points Prometheus
// evaluates). startTimeMillis is then the scope's start rather than the first
// sample's time, and endTimeMillis is start + len(values)·step as in Kayenta.
// The judge treats the NaNs like any missing value (nanStrategy).
//
// # Metadata
//
// Client.MetricNames serves /metadata/metricsService: the names from
// /api/v1/label/__name__/values, cached for Options.MetadataCacheTTL
// (metadataCachingIntervalMS) and filtered case-insensitively by substring.
//
// The HTTP client is github.com/prometheus/client_golang's api and
// api/prometheus/v1 packages (v1.25.0): the Prometheus project's own client,
// which knows the API's envelope, error types and value encodings (matrix,
// vector, scalar, "+Inf"/"NaN" sample strings, native histograms) and tracks
// changes to the API, instead of a hand-written decoder.
package prometheus
